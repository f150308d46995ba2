"""Staff and what they may do: accounts, roles, permissions (the menu tree), who may give what
(`auth.delegation`), signing in with passwords and two-factor codes, and the audit log. No web framework:
the guard and sessions that apply these rules to requests are in `boxoffice.web`."""
