"""The CRM: contacts, their records, notes and tags, likely duplicates and merging, bulk exports.
Removing a contact and their access export are `boxoffice.privacy`'s; Users & Roles are `boxoffice.auth`'s."""
