"""The web admin and REST API (bottle under gunicorn).

One gunicorn worker serves both ports (``webadmin.both_ports``, with the
worker class of ``webadmin.listeners``). ``webadmin.app`` answers on HTTPS:
the admin pages and ``/api/v1``. ``webadmin.plain_http`` answers on the
plain HTTP port: it sends browsers to HTTPS and keeps ``/prov/`` for phone
provisioning. Both call the same service layer as the ``edgepbx`` command
line.
"""
