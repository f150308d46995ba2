"""Litestar glue shared by every area: templates, formatting, error pages, security headers."""
