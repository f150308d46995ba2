"""Litestar glue shared by every area: templating, error pages, security headers, form parsing, the
public page cache and the bound on path values. Framework-free helpers live in `boxoffice.documents`."""
