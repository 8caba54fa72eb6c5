"""``python -m tests.netns_session PORT CERT ONE_TIME_PASSWORD STEPS_JSON``.

A person at the web admin, from inside a network namespace (run it with
``ip netns exec``): signs in as admin with the one-time password, chooses
a password, then takes each step, ``["GET", path]`` or ``["POST", path,
form]`` (a form sent with the CSRF token of the page it was on), and prints
each reply's status, location and body as a JSON list.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.webclient import CHOSEN_PASSWORD, WebClient


def main(argv: list[str]) -> None:
    port, certificate, password, steps = argv
    web = WebClient(int(port), Path(certificate))
    assert web.sign_in("admin", password).location == "/password"
    assert web.change_password(password, CHOSEN_PASSWORD).status == 303
    replies = []
    for step in json.loads(steps):
        if step[0] == "GET":
            reply = web.get(step[1])
        else:
            reply = web.post_form(step[1], step[2], csrf_from=step[3])
        replies.append(
            {"status": reply.status, "location": reply.location, "body": reply.body}
        )
    print(json.dumps(replies))


if __name__ == "__main__":
    main(sys.argv[1:])
