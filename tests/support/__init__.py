"""Helpers that run or watch the real Vega: `vega serve` and CLI processes, a throwaway
Postgres database, the in-process CLI, the processes a server started. The stand-ins
that implement a real interface (the fake model server, the scripted backend, the tiny
model) are in `tests.fakes`. The benchmarks (`python -m bench.<name>`) import these too."""
