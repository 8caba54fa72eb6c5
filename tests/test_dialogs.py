"""The BYEs a stop sends for each side of an answered call, as written from
the dialog module's own account of the call (agent/sip/dialogs.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agent.sip import dialogs

PROXY = ("127.0.0.1", 5060)
VIA = ("127.0.0.1", 40000)
CARRIER_ROUTE = "<sip:127.0.0.1:5070;lr;ftag=c4>"

#: One answered call as dlg.list shows it: a carrier's caller (behind its
#: proxy's Record-Route) and extension 102.
LISTED = {
    "h_entry": 3456,
    "h_id": 8142,
    "call-id": "c9bcbd56@carrier",
    "from_uri": "sip:15551230@127.0.0.1",
    "to_uri": "sip:102@127.0.0.1",
    "state": 4,
    "caller": {
        "tag": "c4",
        "contact": "sip:15551230@127.0.0.1:51171",
        "cseq": "4006",
        "route_set": CARRIER_ROUTE,
        "socket": "udp:127.0.0.1:5060",
    },
    "callee": {
        "tag": "e7",
        "contact": "sip:102@127.0.0.1:36166;transport=tcp",
        "cseq": "0",
        "route_set": "",
        "socket": "tcp:127.0.0.1:5060",
    },
}


def headers(request: bytes) -> tuple[str, dict[str, str]]:
    head, _, body = request.decode().partition("\r\n\r\n")
    assert body == ""
    first, *lines = head.split("\r\n")
    return first, dict(line.split(": ", 1) for line in lines)


def test_each_side_gets_the_bye_the_other_side_would_send():
    call = dialogs.CallInProgress.parse(LISTED)
    to_callee, to_caller = dialogs.byes(call)

    first, found = headers(to_callee.serialize(VIA, PROXY))
    assert first == "BYE sip:102@127.0.0.1:36166;transport=tcp SIP/2.0"
    assert found["From"] == "<sip:15551230@127.0.0.1>;tag=c4"
    assert found["To"] == "<sip:102@127.0.0.1>;tag=e7"
    assert found["CSeq"] == "4007 BYE"  # the caller's next request
    assert found["Route"] == "<sip:127.0.0.1:5060;lr>"  # Kamailio relays it
    assert found["Call-ID"] == "c9bcbd56@carrier"

    first, found = headers(to_caller.serialize(VIA, PROXY))
    assert first == "BYE sip:15551230@127.0.0.1:51171 SIP/2.0"
    assert found["From"] == "<sip:102@127.0.0.1>;tag=e7"
    assert found["To"] == "<sip:15551230@127.0.0.1>;tag=c4"
    assert found["CSeq"] == "1 BYE"
    # Through Kamailio, then the carrier's proxy, as the dialog's route set.
    assert found["Route"] == "<sip:127.0.0.1:5060;lr>, " + CARRIER_ROUTE
    assert found["Via"].startswith("SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK")
    assert to_callee.branch != to_caller.branch


def test_a_ringing_or_ending_call_gets_no_bye():
    ringing = dialogs.CallInProgress.parse({**LISTED, "state": 2})
    assert ringing is not None and not ringing.answered
    assert (ringing.call_id, ringing.cseq) == ("c9bcbd56@carrier", "4006")
    assert dialogs.byes(ringing) == []
    assert dialogs.CallInProgress.parse({**LISTED, "state": 5}) is None


def test_only_a_final_answer_to_a_bye_counts_and_names_its_branch():
    def answer(status: str, cseq: str = "4007 BYE") -> bytes:
        return (
            f"SIP/2.0 {status}\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKab12;rport=40000\r\n"
            f"CSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
        ).encode()

    assert dialogs.Bye.answer(answer("200 OK")) == ("z9hG4bKab12", 200)
    assert dialogs.Bye.answer(answer("481 Call Does Not Exist")) == (
        "z9hG4bKab12",
        481,
    )
    assert dialogs.Bye.answer(answer("100 Trying")) is None
    assert dialogs.Bye.answer(answer("200 OK", "12 INVITE")) is None
    assert dialogs.Bye.answer(b"BYE sip:x SIP/2.0\r\n\r\n") is None


@pytest.mark.parametrize(
    "host",
    ["192.168.1.20", "198.51.100.7"],
    ids=["private-address", "public-address-other-port"],
)
def test_a_phone_behind_a_nat_gets_its_bye_where_it_sends_from(host):
    # Its Contact names its private address, or the public one it sends
    # from with a port the NAT did not give it: either way a port that
    # nothing answers.
    call = dialogs.CallInProgress.parse(LISTED)
    assert call is not None and call.callee is not None
    private = replace(call.callee, contact=f"sip:102@{host}:5062;ob")
    behind_nat = replace(call, callee=private)
    sources = {("102", host, 5062): ("198.51.100.7", 40123)}

    to_callee, to_caller = (
        headers(bye.serialize(VIA, PROXY))[0]
        for bye in dialogs.byes(behind_nat, sources)
    )

    # The address and port replaced, the user and the parameters kept.
    assert to_callee == "BYE sip:102@198.51.100.7:40123;ob SIP/2.0"
    assert to_caller == "BYE sip:15551230@127.0.0.1:51171 SIP/2.0"


def test_a_contact_is_matched_by_user_host_and_port_in_any_spelling():
    assert dialogs.contact_key("<sip:101@[2001:DB8::7]:5062;ob>") == (
        "101",
        "2001:db8::7",
        5062,
    )
    named = dialogs.contact_key("sip:101@Phone.Example")
    assert named == ("101", "phone.example", 5060)
    assert dialogs.contact_key("tel:+15551230") is None
    assert dialogs.with_address("sip:101@10.0.0.5;ob", ("::1", 5070)) == (
        "sip:101@[::1]:5070;ob"
    )


class Registrar:
    """ul.dump as Kamailio's usrloc answers it, for the given contacts:
    (extension, Contact, received)."""

    def __init__(self, *contacts: tuple[str, str, str]) -> None:
        self.contacts = contacts

    def call(self, method: str, *params: object) -> object:
        assert method == "ul.dump"
        by_number: dict[str, list[dict]] = {}
        for number, contact, got in self.contacts:
            entry = {"Contact": {"Address": contact, "Received": got}}
            by_number.setdefault(number, []).append(entry)
        aors = [
            {"Info": {"AoR": number, "Contacts": contacts}}
            for number, contacts in by_number.items()
        ]
        return {"Domains": [{"Domain": {"AoRs": aors}}]}


def test_only_phones_over_udp_with_one_known_source_are_redirected():
    sources = dialogs.phone_sources(
        Registrar(
            ("101", "sip:101@192.168.1.20:5062", "sip:198.51.100.7:40123"),
            (
                "102",
                "sip:102@10.0.0.9:5060;transport=tcp",
                "sip:198.51.100.8:3301;transport=tcp",
            ),
            # Two phones behind two NATs that claim the same private address.
            ("103", "sip:103@192.168.1.30", "sip:198.51.100.9:5060"),
            ("103", "sip:103@192.168.1.30", "sip:203.0.113.4:5060"),
        )  # type: ignore[arg-type]
    )

    assert sources == {("101", "192.168.1.20", 5062): ("198.51.100.7", 40123)}
