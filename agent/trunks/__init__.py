"""SIP trunks: the carriers' side of the PBX (registrations, DIDs, status)."""
