"""Entry module for WSGI servers: `gunicorn pandawa.wsgi:app` (see the Procfile).

A bad setting stops the server the way it stops the `pandawa` command: one line on stderr,
`pandawa: configuration error: <the setting and the fix>`. The error is raised on after that
line, so gunicorn treats it as a worker that failed to boot and stops, rather than restarting
workers that can never start.
"""

import sys

from pandawa.app import create_app
from pandawa.core.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    print(f"pandawa: configuration error: {exc}", file=sys.stderr, flush=True)
    raise
