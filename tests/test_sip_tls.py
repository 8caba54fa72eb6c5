"""SIP over TLS and SRTP between phones, with real pjsua2 phones.

The appliance listens for TLS on EDGEPBX_SIP_TLS_PORT with the certificate
its web admin presents; phones that offer SRTP (SDES keys in the SDP, which
only a TLS hop keeps secret) get it end to end, as the PBX passes their SDP
on untouched.
"""

from __future__ import annotations

import socket
import ssl

import pytest

from tests.sipphone import CallFailed, Phone

TONE_101 = 697
TONE_102 = 1209


def tls_phone(pbx, user: str, password: str, tone_hz: int, **kw) -> Phone:
    return Phone(
        user,
        password,
        server="127.0.0.1",
        port=pbx.sip_tls_port,
        transport="tls",
        tone_hz=tone_hz,
        **kw,
    )


def presented_certificate(port: int) -> bytes:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw) as tls,
    ):
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}
        return tls.getpeercert(binary_form=True)


def test_sip_tls_presents_the_web_admins_certificate(pbx):
    sip = presented_certificate(pbx.sip_tls_port)
    web = presented_certificate(pbx.https_port)
    assert sip == web
    status = pbx.status()["sip"]
    assert status["tls_address"] == f"127.0.0.1:{pbx.sip_tls_port}"
    assert "tls" in status["transports"]


def test_a_phone_registers_and_calls_over_tls(pbx):
    passwords = {n: pbx.add_extension(n) for n in ("101", "102")}
    with (
        tls_phone(pbx, "101", passwords["101"], TONE_101) as alice,
        tls_phone(pbx, "102", passwords["102"], TONE_102) as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        shown = pbx.cli("extension", "show", "101")
        call = alice.call("102")
        call.wait_confirmed()
        incoming = bob.wait_incoming()
        incoming.wait_confirmed()

        assert call.heard_tone(TONE_102) and incoming.heard_tone(TONE_101)
        assert not call.media_srtp
        call.hangup()
        call.wait_disconnected()

    assert "transport=tls" in shown.stdout.lower(), shown.stdout


def test_phones_that_insist_on_srtp_call_each_other_over_tls(pbx):
    passwords = {n: pbx.add_extension(n) for n in ("101", "102")}
    with (
        tls_phone(pbx, "101", passwords["101"], TONE_101, srtp="mandatory") as alice,
        tls_phone(pbx, "102", passwords["102"], TONE_102, srtp="mandatory") as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        call = alice.call("102")
        call.wait_confirmed()
        incoming = bob.wait_incoming()
        incoming.wait_confirmed()

        assert call.media_srtp and incoming.media_srtp
        assert call.heard_tone(TONE_102), "caller does not hear the callee"
        assert incoming.heard_tone(TONE_101), "callee does not hear the caller"
        call.hangup()
        call.wait_disconnected()


def test_a_phone_insisting_on_srtp_cannot_call_one_without_it(pbx):
    """The PBX passes the offer on untouched, so the callee's refusal of
    RTP/SAVP reaches the caller: nothing downgrades the call to plain RTP."""
    passwords = {n: pbx.add_extension(n) for n in ("101", "102")}
    with (
        tls_phone(pbx, "101", passwords["101"], TONE_101, srtp="mandatory") as alice,
        tls_phone(pbx, "102", passwords["102"], TONE_102, srtp="off") as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        call = alice.call("102")
        with pytest.raises(CallFailed) as failed:
            call.wait_confirmed()

    # RFC 3264 section 6: an offer the answerer cannot accept gets 488.
    assert failed.value.status_code == 488
