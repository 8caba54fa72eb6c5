"""The live PBX monitor (service.py)."""
