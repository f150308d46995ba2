"""Selling tickets: the catalog of venues, events, performances and ticket types, and (later) orders."""
