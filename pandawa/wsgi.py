"""Entry module for WSGI servers: `gunicorn pandawa.wsgi:app` (see the Procfile)."""

from pandawa.app import create_app

app = create_app()
