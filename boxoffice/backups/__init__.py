"""Backups: `boxoffice backup`, `restore` and `verify-backup` (see `service`). Framework-free, and used
only by the command line; it reads the database through the engines' own tools and drivers, below the
ORM, so that every table is covered, including those the ORM does not know (the search index's)."""
