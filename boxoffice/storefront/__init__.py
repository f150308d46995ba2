"""Every public page: what's on, choosing tickets and checkout, the booking, Stripe's webhook, the T&Cs
and privacy policy, unsubscribing. Thin routes over the services, wired in `storefront.router`."""
