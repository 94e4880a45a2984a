"""Celery tasks (filled in by the feature)."""
