"""Reports and the dashboard's figures: read-only questions put to what sales, marketing and the outbox
recorded. Money is only ever read from payments and refunds (see `reports.sales`)."""
