"""Pandawa: a WhatsApp administrative-service gateway for public agencies.

The application is built by `pandawa.app.create_app`; importing this package loads nothing.
"""
