"""Entry module for `celery -A pandawa.worker worker|beat`: builds the app once."""

from pandawa import create_app

app = create_app()
celery = app.extensions["celery"]
