"""Keys, rate limits and PII masking."""
