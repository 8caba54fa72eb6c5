"""Company phonebooks, their contacts, and each extension's personal contacts."""
