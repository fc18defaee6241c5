"""Alembic migrations (shipped inside the package so `sprintbot migrate` works when installed)."""
