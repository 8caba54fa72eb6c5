"""Backup and restore of the appliance's data, optionally passphrase-sealed.

See docs/architecture.md, section "Backup and restore".
"""
