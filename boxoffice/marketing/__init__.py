"""Marketing: the consent ledger, the marketing questions and (later) campaigns."""
