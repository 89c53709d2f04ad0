"""Vega: a local-first AI assistant server.

Importing this package is cheap on purpose: no settings are read, no database is
opened and no model library (torch, transformers) is imported here.
"""

__version__ = "0.1.0"
