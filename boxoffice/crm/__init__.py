"""The CRM: contacts, and the staff users and roles who work with them."""
