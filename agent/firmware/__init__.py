"""Firmware: signed bundles and the A/B slots they are written to.

See docs/architecture.md, section "Firmware", for the bundle format and the
boot-once (tryboot) life cycle of an update.
"""
