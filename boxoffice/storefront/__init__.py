"""The public shop: thin routes over the sales, CRM and marketing services."""
