"""What the SIP core answers to requests a phone or a scanner may send.

Each test sends hand-made SIP over UDP to a real Kamailio run by the agent.
"""

from __future__ import annotations

from tests.sipraw import SipClient, parse_challenge


def register(client: SipClient, pbx, user: str, extra=None):
    uri = f"sip:127.0.0.1:{pbx.sip_port}"
    return client.send("REGISTER", uri, user, extra_headers=extra or [])


def bogus_credentials(user: str, nonce: str, realm: str = "127.0.0.1") -> list[str]:
    return [
        f'Authorization: Digest username="{user}", realm="{realm}", '
        f'nonce="{nonce}", uri="sip:127.0.0.1", '
        'response="00000000000000000000000000000000", algorithm=MD5'
    ]


def comparable(reply) -> tuple:
    """A reply with what differs per request (tags, nonce, Via) taken out."""
    challenge = parse_challenge(reply.header("WWW-Authenticate") or "")
    challenge.pop("nonce", None)
    names = [name.lower() for name, _ in reply.headers]
    return reply.status, reply.reason, sorted(challenge.items()), names


def test_wrong_password_and_unknown_user_get_the_same_challenge(pbx):
    pbx.add_extension("101")
    with SipClient("127.0.0.1", pbx.sip_port) as client:
        first = register(client, pbx, "101")
        nonce = parse_challenge(first.header("WWW-Authenticate"))["nonce"]
        known = register(client, pbx, "101", bogus_credentials("101", nonce))
        unknown = register(client, pbx, "999", bogus_credentials("999", nonce))
        anonymous = register(client, pbx, "998")

    assert known.status == 401
    assert comparable(known) == comparable(unknown) == comparable(anonymous)


def test_options_keepalive_to_the_server_is_answered(pbx):
    with SipClient("127.0.0.1", pbx.sip_port) as client:
        reply = client.send("OPTIONS", f"sip:127.0.0.1:{pbx.sip_port}", "101")
    assert reply.status == 200


def test_unknown_number_gets_404_and_unregistered_extension_480(pbx):
    password = pbx.add_extension("101")
    pbx.add_extension("102")
    with SipClient("127.0.0.1", pbx.sip_port) as client:
        unknown = client.invite("555", "101", password)
        offline = client.invite("102", "101", password)
    assert (unknown.status, offline.status) == (404, 480)


def test_an_extension_cannot_register_as_another_one(pbx):
    password = pbx.add_extension("101")
    pbx.add_extension("102")
    with SipClient("127.0.0.1", pbx.sip_port) as client:
        # 101's own credentials, used to register 102's address of record.
        reply = client.register("101", password, to_user="102")
    assert reply.status == 403


def test_looping_request_gets_483(pbx):
    with SipClient("127.0.0.1", pbx.sip_port) as client:
        data = client.request("OPTIONS", f"sip:127.0.0.1:{pbx.sip_port}", "101")
        client.send_raw(data.replace(b"Max-Forwards: 70", b"Max-Forwards: 0"))
        reply = client.receive()
    assert reply.status == 483


def test_malformed_requests_get_400_or_silence_and_the_pbx_keeps_working(pbx):
    garbage = [
        b"\x00\xff\xfe garbage \r\n\r\n",
        b"INVITE sip:101@127.0.0.1 SIP/2.0\r\n\r\n",
        b"REGISTER sip:127.0.0.1 SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKx\r\n"
        b"CSeq: banana REGISTER\r\nFrom: <sip:1@x>;tag=1\r\nTo: <sip:1@x>\r\n"
        b"Call-ID: 1\r\nContent-Length: 0\r\n\r\n",
        b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nContent-Length: 999999\r\n\r\n",
        b"SIP/2.0 200 OK\r\n\r\n",
    ]
    with SipClient("127.0.0.1", pbx.sip_port) as client:
        client.sock.settimeout(0.5)
        for data in garbage:
            client.send_raw(data)
            try:
                reply = client.receive()
            except TimeoutError:
                continue
            assert reply.status == 400, reply.raw

        client.sock.settimeout(3)
        alive = client.send("OPTIONS", f"sip:127.0.0.1:{pbx.sip_port}", "101")
    assert alive.status == 200
    assert pbx.status()["daemons"]["kamailio"]["restarts"] == 0
