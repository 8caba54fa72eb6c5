"""``edgepbx provisioning``: the TFTP server desk phones fetch their files from.

HTTP provisioning is served by the web admin under ``/prov/``; both read the
same virtual tree (``agent.provisioning.tree``).
"""
