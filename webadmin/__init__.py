"""The web admin, user portal and REST API (bottle under gunicorn).

Not built yet: today the appliance is managed with the ``edgepbx`` command
line, which calls the same service layer the web admin will use.
"""
