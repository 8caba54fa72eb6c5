"""The web admin and REST API (bottle under gunicorn).

``webadmin.app`` serves HTTPS: the admin pages and ``/api/v1``.
``webadmin.plain_http`` serves the plain HTTP port: it sends browsers to
HTTPS and keeps ``/prov/`` for phone provisioning. Both call the same
service layer as the ``edgepbx`` command line.
"""
