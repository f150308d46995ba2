"""Outgoing e-mail: an outbox in the database, sent by `boxoffice worker` through SMTP."""
