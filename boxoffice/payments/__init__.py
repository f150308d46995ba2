"""Taking payments: Stripe's hosted Checkout, refunds and the webhooks that report them."""
