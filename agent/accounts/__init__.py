"""People and scripts that manage the PBX: roles, passwords, sessions, tokens."""
