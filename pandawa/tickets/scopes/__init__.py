"""Supervisor scopes (issue 17): a supervisor bound to offices or to a region of offices."""
