"""Outgoing e-mail: an outbox in the database, sent by `boxoffice worker` through SMTP, and the e-mail log
staff read. Each package that sends mail erases its own part of it (`mail.erasure`)."""
