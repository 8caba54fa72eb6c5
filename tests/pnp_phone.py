"""A phone's side of SIP multicast plug-and-play, run inside a test
namespace: send the ua-profile SUBSCRIBE to 224.0.1.75 from ADDRESS and
print, as JSON, the answers received (status line and NOTIFY) and, with a
file name, what fetching that file from the NOTIFY's URL gave.

Arguments: ADDRESS VENDOR MODEL [FILE [MAC]] (FILE "" fetches nothing)."""

from __future__ import annotations

import json
import socket
import sys
import time
import urllib.error
import urllib.request

GROUP = ("224.0.1.75", 5060)
WAIT_S = 5.0
MAC = "805ec0aabbcc"


def subscribe(
    address: str, port: int, vendor: str, model: str, mac: str = MAC
) -> bytes:
    return (
        f"SUBSCRIBE sip:MAC%3a{mac.upper()}@224.0.1.75 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {address}:{port};branch=z9hG4bK-pnp-1;rport\r\n"
        f"From: <sip:MAC%3a{mac.upper()}@224.0.1.75>;tag=4711\r\n"
        f"To: <sip:MAC%3a{mac.upper()}@224.0.1.75>\r\n"
        f"Call-ID: pnp-test-1@{address}\r\n"
        "CSeq: 1 SUBSCRIBE\r\n"
        f'Event: ua-profile;profile-type="device";vendor="{vendor}";'
        f'model="{model}";version="1.0"\r\n'
        "Expires: 0\r\n"
        "Accept: application/url\r\n"
        f"Contact: <sip:{address}:{port}>\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def main() -> None:
    address, vendor, model = sys.argv[1], sys.argv[2], sys.argv[3]
    fetch = sys.argv[4] if len(sys.argv) > 4 else ""
    mac = sys.argv[5] if len(sys.argv) > 5 else MAC
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 0))
    port = sock.getsockname()[1]
    sock.setsockopt(
        socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(address)
    )
    sock.sendto(subscribe(address, port, vendor, model, mac), GROUP)
    answers = []
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline and len(answers) < 2:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data, peer = sock.recvfrom(4096)
        except TimeoutError:
            break
        answers.append({"from": peer[0], "text": data.decode()})
    fetched = None
    if fetch and len(answers) == 2:
        url = answers[1]["text"].split("\r\n\r\n", 1)[1] + fetch
        try:
            with urllib.request.urlopen(url, timeout=WAIT_S) as reply:
                fetched = {"status": reply.status, "body": reply.read().decode()}
        except urllib.error.HTTPError as exc:
            fetched = {"status": exc.code, "body": ""}
    print(json.dumps({"answers": answers, "fetched": fetched}))


if __name__ == "__main__":
    main()
