"""The thin core every layer may use: settings, the clock, the database handle, Celery, the
after-commit publishers, logs, metrics, Redis, the live-update bus. Imports nothing above it."""
