"""Litestar glue shared by every page: the staff guard and sessions, what routes ask for by name
(`web.dependencies`), templating, error pages, security headers, downloads, forms, the public page cache
and the bound on path values. Nothing below the pages imports it; framework-free helpers are in
`boxoffice.documents`."""
