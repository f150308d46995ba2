"""Staff accounts: passwords, two-factor codes, sessions, roles and permissions, the audit log."""
