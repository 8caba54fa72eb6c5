"""SIP from inside a namespace: ``python -m tests.netns_sip ACTION …``.

Run by tests.netns in the attacker's or the phone's namespace; prints one
JSON list with the final status of each request, or null where no reply
came (the firewall dropped it).

    register SERVER PORT BIND USER PASSWORD COUNT   authenticated REGISTERs
    options SERVER PORT BIND COUNT [USER_AGENT]     OPTIONS keepalives
    flood SERVER PORT BIND MAX                      OPTIONS back to back until
                                                    one goes unanswered: [answered]
    ping6 TARGET                                    one ICMPv6 echo: [true|false]
    connect HOST PORT                               a TCP connection: [true|false]
"""

from __future__ import annotations

import json
import os
import socket
import struct
import sys

from tests.sipraw import SipClient

# Long enough for a loaded machine's Kamailio, short enough that a dropped
# request does not hold the test up for long.
REPLY_TIMEOUT_S = 2.0
# In a flood the replies come within a millisecond on a veth link; a reply
# this late means the request was dropped.
FLOOD_REPLY_TIMEOUT_S = 0.5


def _status(action) -> int | None:
    try:
        return action().status
    except TimeoutError:
        return None


ICMPV6_ECHO_REQUEST = 128  # RFC 4443 section 4.1
ICMPV6_ECHO_REPLY = 129


def ping6(target: str) -> bool:
    """One echo request; the kernel fills in the ICMPv6 checksum."""
    with socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) as s:
        s.settimeout(REPLY_TIMEOUT_S)
        ident = os.getpid() & 0xFFFF
        s.sendto(
            struct.pack("!BBHHH", ICMPV6_ECHO_REQUEST, 0, 0, ident, 1), (target, 0)
        )
        try:
            while True:
                data, _ = s.recvfrom(1500)
                kind, _, _, got = struct.unpack("!BBHH", data[:6])
                if kind == ICMPV6_ECHO_REPLY and got == ident:
                    return True
        except TimeoutError:
            return False


def connects(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=REPLY_TIMEOUT_S):
            return True
    except OSError:
        return False


def main(argv: list[str]) -> None:
    if argv[0] == "ping6":
        print(json.dumps([ping6(argv[1])]))
        return
    if argv[0] == "connect":
        print(json.dumps([connects(argv[1], int(argv[2]))]))
        return
    action, server, port, bind, *rest = argv
    results: list[int | None] = []
    with SipClient(server, int(port), bind=bind) as client:
        client.sock.settimeout(REPLY_TIMEOUT_S)
        if action == "register":
            user, password, count = rest
            for _ in range(int(count)):
                results.append(_status(lambda: client.register(user, password)))
        elif action == "options":
            count, *agent = rest
            if agent:
                client.user_agent = agent[0]
            uri = f"sip:{server}:{port}"
            for _ in range(int(count)):
                results.append(_status(lambda: client.send("OPTIONS", uri, "ping")))
        elif action == "flood":
            client.sock.settimeout(FLOOD_REPLY_TIMEOUT_S)
            uri = f"sip:{server}:{port}"
            answered = 0
            for _ in range(int(rest[0])):
                if _status(lambda: client.send("OPTIONS", uri, "flood")) is None:
                    break
                answered += 1
            results.append(answered)
        else:
            raise SystemExit(f"unknown action {action}")
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
