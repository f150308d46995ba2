"""The staff shell: dashboard, and (as they arrive) selling, orders, events admin and settings."""
