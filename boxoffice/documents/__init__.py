"""Framework-free helpers for what we write for people to read: where templates and assets are, dates
and money in a venue's locale, HTML cleaning, redaction, and PDF rendering. Domain services use them;
nothing here imports Litestar or a domain package."""
