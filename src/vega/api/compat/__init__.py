"""The OpenAI (``/v1``) and Ollama (``/api``) wire formats, over the same chat service.

Each module here translates one thing: ``errors`` the error bodies, ``turns`` a
client's message list into a ``ChatRequest``, ``catalog`` the model list (the
backend's models plus one ``vega-rag/<collection>`` model per collection),
``embeddings`` the embedding routes, ``stream`` the streamed responses, and
``openai_wire`` / ``ollama_wire`` the request and response bodies of each protocol.
"""
