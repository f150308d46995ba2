"""What a venue sets up for itself: its simple settings (`venue.settings`) and the versioned T&Cs and
privacy policy (`venue.policies`). Below every domain package: sales, tickets and marketing read it, and it
reads none of them."""
