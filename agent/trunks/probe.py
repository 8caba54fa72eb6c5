"""Is a trunk's server there? One SIP OPTIONS, as RFC 3261 section 11 allows.

Any reply, even an error, shows a SIP server listening; silence until the
timeout means the trunk is unreachable.
"""

from __future__ import annotations

import secrets
import socket

PROBE_TIMEOUT_S = 1.5


def options_ping(
    host: str, port: int, transport: str = "udp", timeout: float = PROBE_TIMEOUT_S
) -> int | None:
    """Send OPTIONS to host:port; the reply's status code, or None."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host,
            port,
            type=socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM,
        )[0]
    except OSError:
        return None
    branch = "z9hG4bK" + secrets.token_hex(8)
    call_id = secrets.token_hex(12)
    with socket.socket(family, kind, proto) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(address)
            local_host, local_port = sock.getsockname()[:2]
            request = (
                f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
                f"Via: SIP/2.0/{transport.upper()} {local_host}:{local_port}"
                f";branch={branch};rport\r\n"
                "Max-Forwards: 70\r\n"
                f"From: <sip:probe@{local_host}>;tag={secrets.token_hex(4)}\r\n"
                f"To: <sip:{host}:{port}>\r\n"
                f"Call-ID: {call_id}\r\n"
                "CSeq: 1 OPTIONS\r\n"
                "User-Agent: edgepbx\r\n"
                "Content-Length: 0\r\n\r\n"
            )
            sock.send(request.encode())
            while True:
                data = sock.recv(65536)
                if not data:
                    return None
                text = data.decode(errors="replace")
                if call_id in text and text.startswith("SIP/2.0 "):
                    code = int(text[8:11])
                    if code >= 200:
                        return code
        except (OSError, ValueError):
            return None
