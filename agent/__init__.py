"""edgepbx management agent: the PBX's services, its daemons and its CLI."""
