"""Storage of the data directory: usage by kind, retention, quotas, clean-up."""
