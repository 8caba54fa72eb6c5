"""Phone auto-provisioning over TFTP and HTTP(S).

Not built yet: phones are configured by hand with the server address and the
credentials that ``edgepbx extension add`` prints.
"""
