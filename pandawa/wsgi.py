"""Entry module for WSGI servers: `gunicorn pandawa.wsgi:app` (see the Procfile)."""

from pandawa import create_app

app = create_app()
