"""Marketing: the consent ledger and the questions consent is given to, audiences, campaigns (drafts,
sending, reports), one-click unsubscribing and the consent report."""
