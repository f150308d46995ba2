"""Tickets as buyers hold them: signed QR codes, PDFs, and checking them in at the door."""
