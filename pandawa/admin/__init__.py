"""Administrators' pages: users, roles and queue membership."""
