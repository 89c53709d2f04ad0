"""Tools the model can call: the contract, the registry, the agent loop, the built-ins, MCP."""
