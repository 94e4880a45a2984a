from tests.catalog.conftest import default_text, write_catalog  # noqa: F401  (shared fixtures)
