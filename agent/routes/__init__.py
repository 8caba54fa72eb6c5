"""Outbound and inbound routes: which trunk a dialled number leaves by, and
where a call to a DID rings."""
