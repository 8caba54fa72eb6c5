"""Phone auto-provisioning: the inventory of desk phones and their files.

``inventory`` keeps the phones (by MAC address) and their lines, ``vendors``
renders each vendor's configuration files, and ``tree`` is the virtual file
tree that the TFTP server and ``/prov/`` over HTTP serve from.
"""
