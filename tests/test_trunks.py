"""Calls to and from the outside world through a real local carrier.

The carrier (tests.carrier) is a second Kamailio on another loopback port
that demands digest authentication for REGISTER and delivers calls to its
DIDs; its own subscriber (a pjsua2 phone registered there) is the number
the PBX's extensions call. Media between the PBX's phones and the carrier's
phone goes through the PBX's rtpengine, and each side must hear the other's
tone.
"""

from __future__ import annotations

import time

import pytest

from agent.rtpengine.ng import NgClient
from tests.carrier import Carrier
from tests.sipphone import Phone, PhoneHost

TONE_EXTENSION = 697
TONE_CARRIER_PHONE = 1209
ACCOUNT = "acme"
ACCOUNT_PASSWORD = "trunk-Secret-7"
CARRIER_PHONE = "15551230"
CARRIER_PHONE_PASSWORD = "phone-Secret-9"
DID = "15550100"
CALLER_ID = "5550100"
REGISTERED_TIMEOUT_S = 15.0
FIRST_MEMBER_RING_S = 5


def carrier_phone(carrier: Carrier) -> Phone:
    return Phone(
        CARRIER_PHONE,
        CARRIER_PHONE_PASSWORD,
        server="127.0.0.1",
        port=carrier.port,
        tone_hz=TONE_CARRIER_PHONE,
    )


def extension_phone(pbx, number: str, password: str) -> Phone:
    return Phone(
        number, password, server="127.0.0.1", port=pbx.sip_port, tone_hz=TONE_EXTENSION
    )


@pytest.fixture
def carrier():
    with Carrier(
        accounts={ACCOUNT: ACCOUNT_PASSWORD, CARRIER_PHONE: CARRIER_PHONE_PASSWORD},
        dids={DID: ACCOUNT},
    ) as running:
        yield running


def add_register_trunk(pbx, carrier, name="acme", password=ACCOUNT_PASSWORD, **extra):
    args = [
        "trunk",
        "add",
        name,
        "--kind",
        "register",
        "--host",
        "127.0.0.1",
        "--port",
        str(carrier.port),
        "--username",
        ACCOUNT,
        "--password-stdin",
        "--json",
    ]
    for option, value in extra.items():
        args += ["--" + option.replace("_", "-"), value]
    result = pbx.cli(*args, stdin=password + "\n")
    assert result.returncode == 0, result.stderr
    return result.json()


def wait_trunk_state(pbx, name: str, wanted: str, timeout=REGISTERED_TIMEOUT_S) -> str:
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        state = pbx.cli("trunk", "status", name, "--json").json()[0]["state"]
        if state == wanted:
            return state
        time.sleep(0.5)
    return state


def call_records(pbx, *args: str) -> list[dict]:
    result = pbx.cli("cdr", "list", "--json", *args)
    assert result.returncode == 0, result.stderr
    return result.json()


def wait_call_record(pbx, disposition: str, timeout=5.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = call_records(pbx)
        if rows and rows[0]["disposition"] == disposition:
            return rows[0]
        time.sleep(0.2)
    raise AssertionError(f"no {disposition} call record: {call_records(pbx)}")


def wait_records(pbx, count: int, timeout=5.0) -> None:
    deadline = time.monotonic() + timeout
    while len(call_records(pbx)) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def test_register_trunk_registers_with_the_carrier_and_a_wrong_password_shows(
    pbx, carrier
):
    add_register_trunk(pbx, carrier)
    assert wait_trunk_state(pbx, "acme", "registered") == "registered"
    registers = carrier.requests("REGISTER")
    assert registers[-1].to_uri == f"sip:{ACCOUNT}@127.0.0.1:{carrier.port}"

    result = pbx.cli("trunk", "set", "acme", "--password-stdin", stdin="wrong\n")
    assert result.returncode == 0, result.stderr
    assert wait_trunk_state(pbx, "acme", "failed auth") == "failed auth"
    # The password is kept sealed: neither the database nor Kamailio's
    # configuration holds it in plain text.
    for path in (pbx.data_dir / "db").iterdir():
        assert ACCOUNT_PASSWORD.encode() not in path.read_bytes(), path
    assert ACCOUNT_PASSWORD not in (pbx.data_dir / "run" / "kamailio.cfg").read_text()


def test_unreachable_peer_trunk_shows_unreachable(pbx, carrier):
    from tests.pbx import free_port

    result = pbx.cli(
        "trunk",
        "add",
        "nowhere",
        "--kind",
        "peer",
        "--host",
        "127.0.0.1",
        "--port",
        str(free_port()),
    )
    assert result.returncode == 0, result.stderr
    assert wait_trunk_state(pbx, "nowhere", "unreachable", 5) == "unreachable"


@pytest.fixture
def outbound(pbx, carrier):
    """Extension 101, the trunk "acme" registered, route 9|1XXXXXXX via acme."""
    password = pbx.add_extension("101", "Alice")
    add_register_trunk(pbx, carrier, caller_id_header="pai")
    assert wait_trunk_state(pbx, "acme", "registered") == "registered"
    return password


def test_outbound_call_reaches_the_carrier_with_caller_id_and_relayed_media(
    pbx, carrier, outbound
):
    result = pbx.cli(
        "route",
        "add",
        "national",
        "--pattern",
        "9|1XXXXXXX",
        "--trunk",
        "acme",
        "--caller-id",
        CALLER_ID,
    )
    assert result.returncode == 0, result.stderr
    relay = NgClient("127.0.0.1", pbx.rtpengine_port)

    with (
        extension_phone(pbx, "101", outbound) as alice,
        carrier_phone(carrier) as callee,
    ):
        assert (alice.register(), callee.register()) == (200, 200)
        call = alice.call("9" + CARRIER_PHONE)
        call.wait_confirmed()
        incoming = callee.wait_incoming()
        incoming.wait_confirmed()

        assert call.heard_tone(TONE_CARRIER_PHONE), "caller does not hear the carrier"
        assert incoming.heard_tone(TONE_EXTENSION), "carrier does not hear the caller"
        assert call.sip_call_id in relay.calls()

        invite = carrier.requests("INVITE")[-1]
        assert invite.ruri.startswith(f"sip:{CARRIER_PHONE}@")
        assert invite.pai == f"sip:{CALLER_ID}@127.0.0.1"
        assert invite.from_uri == f"sip:{ACCOUNT}@127.0.0.1"
        time.sleep(1.2)
        call.hangup()
        incoming.wait_disconnected()

    row = wait_call_record(pbx, "answered")
    assert (row["direction"], row["src"], row["dst"], row["trunk"]) == (
        "out",
        "101",
        "9" + CARRIER_PHONE,
        "acme",
    )
    assert row["billsec"] >= 1 and row["duration"] >= row["billsec"]
    assert call.sip_call_id not in relay.calls()


def test_a_speed_dial_to_an_outside_number_goes_out_through_the_route(
    pbx, carrier, outbound
):
    added = pbx.cli("route", "add", "national", "--pattern", "9|1XXXXXXX",
                    "--trunk", "acme")  # fmt: skip
    assert added.returncode == 0, added.stderr
    dial = pbx.cli("speed-dial", "set", "7", "9" + CARRIER_PHONE, "--name", "Supplier")
    assert dial.returncode == 0, dial.stderr

    with (
        extension_phone(pbx, "101", outbound) as alice,
        carrier_phone(carrier) as callee,
    ):
        assert (alice.register(), callee.register()) == (200, 200)
        call = alice.call("*07")
        call.wait_confirmed()
        incoming = callee.wait_incoming()
        incoming.wait_confirmed()
        assert call.heard_tone(TONE_CARRIER_PHONE), "caller does not hear the carrier"
        call.hangup()
        incoming.wait_disconnected()

    assert carrier.requests("INVITE")[-1].ruri.startswith(f"sip:{CARRIER_PHONE}@")
    row = wait_call_record(pbx, "answered")
    assert (row["direction"], row["src"], row["dst"]) == (
        "out",
        "101",
        "9" + CARRIER_PHONE,
    )


def test_a_trunk_answering_503_fails_over_to_the_next_with_its_own_codecs(
    pbx, carrier, outbound
):
    with Carrier(fail_invites=503) as broken:
        result = pbx.cli(
            "trunk",
            "add",
            "broken",
            "--kind",
            "peer",
            "--host",
            "127.0.0.1",
            "--port",
            str(broken.port),
            "--caller-id-header",
            "from",
            "--codecs",
            "pcmu",
        )
        assert result.returncode == 0, result.stderr
        result = pbx.cli("trunk", "set", "acme", "--codecs", "g722,pcma")
        assert result.returncode == 0, result.stderr
        result = pbx.cli(
            "route",
            "add",
            "national",
            "--pattern",
            "1XXXXXXX",
            "--trunk",
            "broken",
            "--trunk",
            "acme",
        )
        assert result.returncode == 0, result.stderr

        with (
            extension_phone(pbx, "101", outbound) as alice,
            carrier_phone(carrier) as callee,
        ):
            assert (alice.register(), callee.register()) == (200, 200)
            call = alice.call(CARRIER_PHONE)
            call.wait_confirmed()
            incoming = callee.wait_incoming()
            assert call.heard_tone(TONE_CARRIER_PHONE)
            call.hangup()
            incoming.wait_disconnected()

        tried = broken.requests("INVITE")
        assert tried and tried[0].from_uri == "sip:101@127.0.0.1"
        # Each trunk is offered the codecs it allows, not the first one's.
        assert tried[0].static_codecs == ["PCMU"], tried[0].media
        assert carrier.requests("INVITE")[-1].static_codecs == ["G722", "PCMA"]
    row = wait_call_record(pbx, "answered")
    assert row["trunk"] == "acme"


def test_every_trunk_failing_gives_the_caller_an_honest_reply_and_a_record(
    pbx, carrier, outbound
):
    with Carrier(fail_invites=503) as broken:
        pbx.cli(
            "trunk",
            "add",
            "broken",
            "--kind",
            "peer",
            "--host",
            "127.0.0.1",
            "--port",
            str(broken.port),
        )
        pbx.cli(
            "route", "add", "only-broken", "--pattern", "1XXXXXXX", "--trunk", "broken"
        )
        with extension_phone(pbx, "101", outbound) as alice:
            assert alice.register() == 200
            call = alice.call(CARRIER_PHONE)
            assert call.wait_disconnected() == 500
            assert call.last_reason == "All Trunks Failed"
    row = wait_call_record(pbx, "failed")
    assert row["last_code"] == 503 and row["billsec"] == 0


def test_call_to_a_did_rings_its_extension_with_media_both_ways(pbx, carrier):
    password = pbx.add_extension("101", "Alice")
    add_register_trunk(pbx, carrier, dids=None) if False else add_register_trunk(
        pbx, carrier
    )
    assert pbx.cli("trunk", "did", "acme", DID).returncode == 0
    result = pbx.cli("inbound", "add", DID, "--to", "101")
    assert result.returncode == 0, result.stderr
    assert wait_trunk_state(pbx, "acme", "registered") == "registered"

    with (
        extension_phone(pbx, "101", password) as alice,
        carrier_phone(carrier) as outsider,
    ):
        assert (alice.register(), outsider.register()) == (200, 200)
        call = outsider.call(DID)
        incoming = alice.wait_incoming()
        call.wait_confirmed()
        incoming.wait_confirmed()
        assert call.heard_tone(TONE_EXTENSION), "the outsider does not hear 101"
        assert incoming.heard_tone(TONE_CARRIER_PHONE), "101 does not hear the outsider"
        call.hangup()
        incoming.wait_disconnected()

    row = wait_call_record(pbx, "answered")
    assert (row["direction"], row["src"], row["dst"], row["did"], row["trunk"]) == (
        "in",
        CARRIER_PHONE,
        "101",
        DID,
        "acme",
    )
    csv_rows = pbx.cli("cdr", "list", "--csv").stdout.splitlines()
    assert csv_rows[0].split(",")[1:3] == [CARRIER_PHONE, "101"]
    assert csv_rows[0].split(",")[14] == "ANSWERED"
    assert call_records(pbx, "--disposition", "busy") == []
    assert len(call_records(pbx, "--number", DID)) == 1


@pytest.fixture
def peer_route(pbx, carrier):
    """Extension 101 and every number out through a peer trunk to the carrier."""
    password = pbx.add_extension("101", "Alice")
    result = pbx.cli(
        "trunk",
        "add",
        "carrier",
        "--kind",
        "peer",
        "--host",
        "127.0.0.1",
        "--port",
        str(carrier.port),
    )
    assert result.returncode == 0, result.stderr
    result = pbx.cli("route", "add", "all", "--pattern", "X.", "--trunk", "carrier")
    assert result.returncode == 0, result.stderr
    return password


def test_a_forbidden_country_code_is_refused_before_any_trunk(pbx, carrier, peer_route):
    result = pbx.cli("guard", "set", "--allowed-countries", "1", "--json")
    assert result.returncode == 0, result.stderr
    with extension_phone(pbx, "101", peer_route) as alice:
        assert alice.register() == 200
        refused = alice.call("00449001234567")
        assert refused.wait_disconnected() == 403
        assert refused.last_reason == "Country Not Allowed"
        allowed = alice.call("0015559876")
        assert allowed.wait_disconnected() == 404  # the carrier has no such number
    assert [r.ruri.split("@")[0] for r in carrier.requests("INVITE")] == [
        "sip:0015559876"
    ]
    rows = call_records(pbx, "--number", "0044")
    assert [(r["disposition"], r["last_code"]) for r in rows] == [("failed", 403)]


def test_the_frequency_limit_trips_at_the_configured_count(pbx, carrier, peer_route):
    result = pbx.cli("guard", "set", "--per-extension-calls", "2", "--window-s", "600")
    assert result.returncode == 0, result.stderr
    codes = []
    with extension_phone(pbx, "101", peer_route) as alice:
        assert alice.register() == 200
        for made in range(1, 4):
            call = alice.call("5550000")
            codes.append(call.wait_disconnected())
            # The limit counts the call records the agent writes.
            wait_records(pbx, made)
        assert call.last_reason == "Call Limit Reached"
    assert codes == [404, 404, 403]
    assert len(carrier.requests("INVITE")) == 2


@pytest.fixture
def did_trunk(pbx, carrier):
    """Extensions 101 and 102, the trunk registered with DID on it."""
    passwords = {n: pbx.add_extension(n) for n in ("101", "102")}
    add_register_trunk(pbx, carrier)
    assert pbx.cli("trunk", "did", "acme", DID).returncode == 0
    assert wait_trunk_state(pbx, "acme", "registered") == "registered"
    return passwords


def test_call_to_a_did_rings_a_sequential_ring_group_member_by_member(
    pbx, carrier, did_trunk
):
    result = pbx.cli(
        "ringgroup",
        "add",
        "600",
        "--name",
        "Sales",
        "--strategy",
        "sequential",
        "--member",
        f"101:{FIRST_MEMBER_RING_S}",
        "--member",
        "102:20",
    )
    assert result.returncode == 0, result.stderr
    assert pbx.cli("inbound", "add", DID, "--to", "ring_group:600").returncode == 0

    with (
        Phone(
            "101",
            did_trunk["101"],
            server="127.0.0.1",
            port=pbx.sip_port,
            answer_incoming="ignore",
        ) as first,
        Phone(
            "102",
            did_trunk["102"],
            server="127.0.0.1",
            port=pbx.sip_port,
            tone_hz=TONE_EXTENSION,
        ) as second,
        carrier_phone(carrier) as outsider,
    ):
        assert (first.register(), second.register(), outsider.register()) == (
            200,
            200,
            200,
        )
        call = outsider.call(DID)
        first.wait_invites(1)
        assert second.invites_received == 0  # one member at a time
        # The first member rings for its 5 s before the second one rings.
        incoming = second.wait_incoming(timeout=FIRST_MEMBER_RING_S + 10)
        call.wait_confirmed()
        incoming.wait_confirmed()
        assert call.heard_tone(TONE_EXTENSION)
        call.hangup()
        incoming.wait_disconnected()

    row = wait_call_record(pbx, "answered")
    assert (row["did"], row["dst"]) == (DID, "600")


def test_a_holiday_sends_calls_to_the_closed_destination_until_forced_open(
    pbx, carrier, did_trunk
):
    import datetime as dt

    today = dt.datetime.now(dt.UTC).date().isoformat()
    result = pbx.cli(
        "timecondition",
        "add",
        "office",
        "--timezone",
        "UTC",
        "--hours",
        "mon-sun=00:00-24:00",
        "--holiday",
        today,
        "--open",
        "101",
        "--closed",
        "102",
    )
    assert result.returncode == 0, result.stderr
    assert (
        pbx.cli("inbound", "add", DID, "--to", "time_condition:office").returncode == 0
    )

    with (
        extension_phone(pbx, "101", did_trunk["101"]) as day,
        extension_phone(pbx, "102", did_trunk["102"]) as night,
        carrier_phone(carrier) as outsider,
    ):
        assert (day.register(), night.register(), outsider.register()) == (200,) * 3
        call = outsider.call(DID)
        night.wait_incoming().hangup()
        call.wait_disconnected()
        assert day.invites_received == 0

        forced = pbx.cli("timecondition", "set", "office", "--mode", "open", "--json")
        assert forced.json()["open_now"] is True
        call = outsider.call(DID)
        day.wait_incoming().hangup()
        call.wait_disconnected()
        assert night.invites_received == 1


def test_calls_between_extensions_leave_records_with_their_disposition(pbx):
    passwords = {n: pbx.add_extension(n) for n in ("101", "102")}
    with (
        extension_phone(pbx, "101", passwords["101"]) as alice,
        Phone(
            "102",
            passwords["102"],
            server="127.0.0.1",
            port=pbx.sip_port,
            answer_incoming="busy",
        ) as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        assert alice.call("102").wait_disconnected() == 486
        busy = wait_call_record(pbx, "busy")
        bob.answer_incoming = "answer"
        call = alice.call("102")
        call.wait_confirmed()
        time.sleep(1.1)
        call.hangup()
        bob.calls[-1].wait_disconnected()
    answered = wait_call_record(pbx, "answered")
    assert (busy["direction"], busy["src"], busy["dst"]) == ("internal", "101", "102")
    assert answered["billsec"] >= 1
    assert len(call_records(pbx)) == 2


def test_the_agent_restarts_a_media_relay_that_dies(pbx):
    import os
    import signal

    relay = NgClient("127.0.0.1", pbx.rtpengine_port)
    assert relay.ping()
    first = pbx.status()["daemons"]["rtpengine"]["pid"]
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        daemon = pbx.status()["daemons"]["rtpengine"]
        if daemon["pid"] not in (None, first) and daemon["answering"]:
            break
        time.sleep(0.3)
    assert daemon["restarts"] >= 1 and daemon["pid"] != first
    assert relay.ping()


def test_a_carrier_that_challenges_invites_gets_the_trunk_credentials(pbx):
    with Carrier(
        accounts={ACCOUNT: ACCOUNT_PASSWORD, CARRIER_PHONE: CARRIER_PHONE_PASSWORD},
        challenge_invites=True,
    ) as strict:
        password = pbx.add_extension("101", "Alice")
        add_register_trunk(pbx, strict)
        assert wait_trunk_state(pbx, "acme", "registered") == "registered"
        route = pbx.cli("route", "add", "all", "--pattern", "X.", "--trunk", "acme")
        assert route.returncode == 0, route.stderr

        with (
            extension_phone(pbx, "101", password) as alice,
            carrier_phone(strict) as callee,
        ):
            assert (alice.register(), callee.register()) == (200, 200)
            call = alice.call(CARRIER_PHONE)
            call.wait_confirmed()
            incoming = callee.wait_incoming()
            incoming.wait_confirmed()
            assert call.heard_tone(TONE_CARRIER_PHONE)
            call.hangup()
            incoming.wait_disconnected()

        invites = strict.requests("INVITE")
        assert len(invites) == 2  # challenged once, then signed
        assert f"carrier-invite-authenticated user={ACCOUNT}" in strict.log()


def test_a_trunk_offers_the_carrier_only_its_codecs_and_transcodes_the_phone(
    pbx, carrier
):
    password = pbx.add_extension("101", "Alice")
    trunk = add_register_trunk(pbx, carrier, codecs="g722,pcma")
    assert trunk["codecs"] == ["G722", "PCMA"]
    assert wait_trunk_state(pbx, "acme", "registered") == "registered"
    route = pbx.cli("route", "add", "all", "--pattern", "X.", "--trunk", "acme")
    assert route.returncode == 0, route.stderr

    # The phone speaks only G.711 u-law, the carrier's phone only a-law.
    with (
        PhoneHost(codecs=("PCMU/8000",)) as phone_side,
        PhoneHost(codecs=("PCMA/8000",)) as carrier_side,
        Phone(
            "101",
            password,
            server="127.0.0.1",
            port=pbx.sip_port,
            tone_hz=TONE_EXTENSION,
            host=phone_side,
        ) as alice,
        Phone(
            CARRIER_PHONE,
            CARRIER_PHONE_PASSWORD,
            server="127.0.0.1",
            port=carrier.port,
            tone_hz=TONE_CARRIER_PHONE,
            host=carrier_side,
        ) as callee,
    ):
        assert (alice.register(), callee.register()) == (200, 200)
        call = alice.call(CARRIER_PHONE)
        call.wait_confirmed()
        incoming = callee.wait_incoming()
        incoming.wait_confirmed()
        assert call.heard_tone(TONE_CARRIER_PHONE), "caller does not hear the carrier"
        assert incoming.heard_tone(TONE_EXTENSION), "carrier does not hear the caller"
        # A new offer of the phone's in the call keeps to the trunk's codecs.
        assert call.reinvite() == 200
        call.hangup()
        incoming.wait_disconnected()

    first, again = carrier.requests("INVITE")[-2:]
    assert first.static_codecs == ["G722", "PCMA"], first.media
    assert again.static_codecs == ["G722", "PCMA"], again.media
    # Neither the carrier's password nor the phone's is in a daemon's log.
    for path in (pbx.data_dir / "logs").iterdir():
        text = path.read_text(errors="replace")
        assert ACCOUNT_PASSWORD not in text and password not in text, path


def test_trunk_codecs_are_checked_and_a_refusal_changes_nothing(pbx_data):
    added = pbx_data.cli(
        "trunk", "add", "peer1", "--kind", "peer", "--host", "127.0.0.1",
        "--json",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.json()["codecs"] is None  # whatever the phones offer

    for given, rule in (
        ("pcma,opus", 'codecs "opus": not a codec this PBX bridges'),
        ("", "codecs: at least one codec, or any"),
        ("pcma,PCMA", 'codecs "PCMA": given twice'),
    ):
        refused = pbx_data.cli("trunk", "set", "peer1", "--codecs", given)
        assert refused.returncode != 0
        assert rule in refused.stderr, refused.stderr
    assert pbx_data.cli("trunk", "list", "--json").json()[0]["codecs"] is None

    changed = pbx_data.cli("trunk", "set", "peer1", "--codecs", "PCMA, pcmu")
    assert changed.returncode == 0, changed.stderr
    assert "codecs: PCMA, PCMU" in changed.stdout
    back = pbx_data.cli("trunk", "set", "peer1", "--codecs", "any", "--json")
    assert back.json()["codecs"] is None


def test_a_trunks_main_number_is_checked_and_a_refusal_keeps_the_old_one(pbx_data):
    added = pbx_data.cli(
        "trunk", "add", "peer2", "--kind", "peer", "--host", "127.0.0.1",
        "--main-number", "+1 555 0100", "--json",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.json()["main_number"] == "+15550100"

    rule = "1 to 15 digits (E.164), with an optional leading +"
    for given in ("555-0100x", "+1234567890123456", "++15550100", "0x1f"):
        refused = pbx_data.cli("trunk", "set", "peer2", "--main-number", given)
        assert refused.returncode != 0
        assert f'--main-number "{given}": {rule}' in refused.stderr, refused.stderr
    listed = pbx_data.cli("trunk", "list", "--json").json()
    assert [t["main_number"] for t in listed if t["name"] == "peer2"] == ["+15550100"]

    longest = pbx_data.cli("trunk", "set", "peer2", "--main-number", "1" * 15)
    assert longest.returncode == 0, longest.stderr
    assert "main number: " + "1" * 15 in longest.stdout
    cleared = pbx_data.cli("trunk", "set", "peer2", "--main-number", "", "--json")
    assert cleared.json()["main_number"] is None
    shown = pbx_data.cli("trunk", "list").stdout
    assert "main number: the first DID" in shown


def test_the_relay_lists_every_call_it_carries_past_its_first_32(pbx):
    relay = NgClient("127.0.0.1", pbx.rtpengine_port)
    offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    call_ids = [f"listed-{i}@127.0.0.1" for i in range(40)]
    try:
        for i, call_id in enumerate(call_ids):
            relay.command(
                "offer",
                sdp=offer + f"m=audio {20000 + 2 * i} RTP/AVP 0\r\n",
                **{"call-id": call_id, "from-tag": f"tag{i}"},
            )
        assert sorted(relay.calls()) == sorted(call_ids)
    finally:
        for call_id in call_ids:
            relay.command("delete", **{"call-id": call_id})
