"""Alembic, driven from code: migrations ship inside the package and run at start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).with_name("migrations")
# Lexical indexes live outside the models (an FTS5 table and its shadow tables on
# SQLite; on Postgres the postings and counts of vega.rag.lexical_postgres): the
# migrations own them. So do the per-collection HNSW indexes on Postgres
# (vega.rag.pgvector_index).
DERIVED_PREFIXES = ("chunks_fts", "ix_chunks_text_fts", "chunks_hnsw", "chunks_lex")
# Derived tables that hold rows of their own on Postgres (emptied with the chunks).
DERIVED_TABLES = ("chunks_lex_postings", "chunks_lex_stats")


# The job queue's own tables on Postgres (vega.jobs.queue): procrastinate's schema, not Vega's
# models.
QUEUE_PREFIX = "procrastinate_"


def not_derived(name: str | None, _type: str, _parent: object) -> bool:
    """Alembic ``include_name`` hook: skip the derived objects and the queue's tables when
    comparing schemas."""
    return not (name or "").startswith((*DERIVED_PREFIXES, QUEUE_PREFIX))


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # env.py takes the live engine from here instead of a URL in an ini file.
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def upgrade_to_head(engine: Engine) -> None:
    if current_revision(engine) == head_revision(engine):
        return  # the common case at start: skip Alembic's heavier machinery
    command.upgrade(alembic_config(engine), "head")
