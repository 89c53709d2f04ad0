"""Persistence: the database is the one source of truth (DESIGN.md section 1)."""
