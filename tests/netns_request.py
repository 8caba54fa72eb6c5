"""``python -m tests.netns_request PORT CERT TOKEN METHOD PATH [JSON]``.

One REST request from inside a network namespace (run it with ``ip netns
exec``) to an appliance serving on that namespace's loopback; prints the
status and the decoded body as one JSON object.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.webclient import WebClient


def main(argv: list[str]) -> None:
    port, certificate, token, method, path = argv[:5]
    body = json.loads(argv[5]) if len(argv) > 5 else None
    web = WebClient(int(port), Path(certificate))
    web.bearer = token
    reply = web.request(method, path, json_body=body)
    decoded = json.loads(reply.body or "null")
    print(json.dumps({"status": reply.status, "body": decoded}))


if __name__ == "__main__":
    main(sys.argv[1:])
