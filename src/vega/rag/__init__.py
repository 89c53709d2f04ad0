"""Documents and retrieval: extract, chunk, embed, index, retrieve, cite."""
