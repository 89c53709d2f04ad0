"""Request and response bodies of the native API (DESIGN.md 4.3), one module per resource.

The OpenAI and Ollama wire formats keep theirs beside their encoders (`vega.api.compat`).
"""
