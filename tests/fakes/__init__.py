"""Stand-ins that implement a real interface or make real test data: the fake model
server (Ollama and OpenAI over HTTP), the scripted backend and hashing embedder that join
the real registries, engines, the tiny model and adapter, hand-built documents. What
runs or watches the real Vega is in `tests.support`."""
