"""The `vega` command: a client of the same services the API uses."""
