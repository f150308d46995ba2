"""Selling tickets: the catalogue and its editing, holds, checkout online and sales at the counter,
orders and their payments, refunds, cancellations and exchanges, tills, and bookings as buyers see them."""
