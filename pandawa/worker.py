"""Entry module for `celery -A pandawa.worker worker|beat`: builds the app once.

Celery looks up `app` or `celery` in this module; the Flask app is kept under another name
so the lookup finds the Celery app.
"""

from pandawa.app import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
