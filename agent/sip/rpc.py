"""Kamailio's JSON-RPC (jsonrpcs module) over its UNIX datagram socket."""

from __future__ import annotations

import itertools
import json
import os
import socket
import tempfile
from pathlib import Path
from typing import Any

# A reply of ul.dump for a few hundred phones fits well inside this;
# jsonrpcs sends the whole reply as one datagram.
MAX_REPLY_BYTES = 4 * 1024 * 1024
DEFAULT_TIMEOUT_S = 3.0

_ids = itertools.count(1)
#: Where the reply socket is bound. A UNIX socket's path must fit in 108
#: bytes, and TMPDIR may lead deep into the data partition (the web daemons
#: spool uploads there), so the reply socket does not follow TMPDIR.
REPLY_SOCKET_DIR = "/tmp"


class RpcError(RuntimeError):
    """Kamailio did not answer, or answered with an error."""


class KamailioRpc:
    def __init__(self, socket_path: Path, timeout: float = DEFAULT_TIMEOUT_S):
        self.socket_path = socket_path
        self.timeout = timeout

    def call(self, method: str, *params: Any) -> Any:
        request = {"jsonrpc": "2.0", "method": method, "id": next(_ids)}
        if params:
            request["params"] = list(params)

        # The reply comes back to the address we send from, so bind one.
        with tempfile.TemporaryDirectory(
            prefix="edgepbx-rpc-", dir=REPLY_SOCKET_DIR
        ) as tmp:
            reply_path = os.path.join(tmp, "reply.sock")
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.bind(reply_path)
                sock.settimeout(self.timeout)
                try:
                    sock.sendto(json.dumps(request).encode(), str(self.socket_path))
                    data = sock.recv(MAX_REPLY_BYTES)
                except (FileNotFoundError, ConnectionRefusedError):
                    raise RpcError("the SIP core is not running") from None
                except TimeoutError:
                    raise RpcError("the SIP core did not answer in time") from None

        reply = json.loads(data)
        if "error" in reply:
            error = reply["error"]
            raise RpcError(f"{method}: {error.get('message', error)}")
        return reply.get("result")

    def ping(self) -> bool:
        try:
            self.call("core.version")
        except RpcError:
            return False
        return True
