"""Backups of a whole Pandawa system and their restore: `pandawa backup` writes one archive (a
consistent `pg_dump` of PostgreSQL, then the media folder, with a manifest of checksums);
`pandawa restore` verifies it and puts it into an empty database and a media folder
([docs/backup.md](../../docs/backup.md))."""
