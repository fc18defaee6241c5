"""Persistence: models, engine, repositories and migrations helpers."""

from db.engine import Database, create_engine, redact_url

__all__ = ["Database", "create_engine", "redact_url"]
