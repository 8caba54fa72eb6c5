"""Troubleshooting from the admin: packet capture, SIP call flows, logs,
ping and traceroute (docs/troubleshooting.md)."""
