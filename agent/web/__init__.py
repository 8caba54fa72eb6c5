"""The agent's side of the web admin: its certificate and its gunicorn."""
