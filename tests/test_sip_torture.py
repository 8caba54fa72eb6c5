"""RFC 4475's torture cases against the running PBX (tests.sip_torture).

Every message gets the answer the RFC asks of a proxy-registrar (or, where
SIP allows it, silence), and Kamailio is still the same process, answering,
after all of them.
"""

from __future__ import annotations

import pytest

from tests.pbx import RunningPbx
from tests.sip_torture import MESSAGES, Torture
from tests.sipraw import SipClient

# Replies on the loopback come within milliseconds; a dropped message is
# waited for this long.
SILENCE_S = 1.0


@pytest.fixture(scope="module")
def torture_pbx(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("torture") / "var").start()
    for number in ("101", "102"):
        running.add_extension(number)
    pid = running.kamailio_pid()
    yield running
    try:
        # Step 1: no message crashed or restarted the SIP core.
        assert running.kamailio_pid() == pid
        assert running.status()["daemons"]["kamailio"]["restarts"] == 0
        # Step 2: it still answers a plain request.
        with SipClient("127.0.0.1", running.sip_port) as client:
            uri = f"sip:127.0.0.1:{running.sip_port}"
            assert client.send("OPTIONS", uri, "101").status == 200
    finally:
        running.stop()


def reply_to(pbx: RunningPbx, message: Torture):
    with SipClient("127.0.0.1", pbx.sip_port) as client:
        client.sock.settimeout(SILENCE_S)
        client.send_raw(
            message.render("127.0.0.1", pbx.sip_port, "127.0.0.1", client.local_port)
        )
        try:
            return client.receive()
        except TimeoutError:
            return None


@pytest.mark.parametrize("message", MESSAGES, ids=[m.name for m in MESSAGES])
def test_torture_message_gets_the_right_answer(torture_pbx, message):
    reply = reply_to(torture_pbx, message)
    status = reply.status if reply else None
    assert status in message.expected, f"{message.description}: {reply and reply.raw}"
    if status == 420:
        assert reply.header("Unsupported") == (
            "nothingSupportsThis, nothingSupportsThisEither"
        )


def test_every_message_renders_as_one_datagram():
    for message in MESSAGES:
        data = message.render("192.0.2.1", 5060, "192.0.2.2", 5062)
        assert b"${" not in data and b"@BODY_LENGTH@" not in data
        assert len(data) < 65_000


@pytest.mark.parametrize(
    ("head", "from_header", "reply"),
    [
        ("OPTIONS sip:pbx SIP/2.0\r\n", "<sip:1@pbx>;tag=1", None),
        ("\r\n\r\nOPTIONS sip:pbx SIP/2.0\r\n", '"A, B" <sip:1@pbx>', None),
        ("OPTIONS sip:pbx SIP/2.0 \r\n", "<sip:1@pbx>", (400, "Bad Request Line")),
        ("OPTIONS  sip:pbx SIP/2.0\r\n", "<sip:1@pbx>", (400, "Bad Request Line")),
        (
            "OPTIONS sip:pbx SIP/2.0\r\n",
            "Bell, Alexander <sip:1@pbx>",
            (400, "Bad From Display Name"),
        ),
        ("OPTIONS sip:pbx SIP/2.0\r\n", "Alexander Bell <sip:1@pbx>", None),
    ],
)
def test_the_request_syntax_step(monkeypatch, head, from_header, reply):
    from agent.sip import routing
    from tests.fake_ksr import FakeKsr

    fake = FakeKsr(pv={"$mb": head + "Via: x\r\n\r\n", "$hdr(From)": from_header})
    fake.install(monkeypatch)
    route = routing.Routing(routing.RoutingSettings(realm="pbx"))

    handled = route.request_syntax("OPTIONS")

    assert handled is (reply is not None)
    assert fake.replies() == ([reply] if reply else [])
