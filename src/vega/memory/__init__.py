"""Memory: earlier conversations indexed and recalled into later turns (docs/memory.md)."""
