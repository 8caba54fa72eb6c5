"""Which header makes a desk phone answer a call by itself (intercom, paging).

There is no standard for it: each vendor honours its own form of
``Alert-Info`` or ``Call-Info`` in the INVITE, usually only after the phone
was set to allow it (its intercom or auto-answer setting). The phone is
recognised by the User-Agent it registered with. The routing (KEMI, standard
library only) and the media service's page groups both use this module, so it
imports nothing outside the standard library.

Where each rule comes from:

- Yealink: the administrator's guide for the T2/T4/T5 series, "Auto Answer"
  under distinctive ring tones: an INVITE whose Alert-Info carries
  ``info=alert-autoanswer`` (or "Auto Answer", "answer-after=0") is answered
  without ringing; Yealink's support note "Intercom Auto Answer" gives the
  form ``<uri>;info=alert-autoanswer;delay=0``.
- Snom: Snom's service wiki, "Intercom - Paging feature" and
  "answer_after_policy": an intercom call is an INVITE with
  ``Alert-Info: <...>;info=alert-autoanswer;delay=0``, answered when the
  phone's intercom policy allows it.
- Poly/Polycom: the phone maps an Alert-Info value to its auto-answer ring
  class (``voIpProt.SIP.alertInfo.x.value`` / ``.class="autoAnswer"``);
  servers send ``Alert-Info: Ring Answer``, the value AudioCodes' 400HD
  manual also lists ("ring answer"). Known shortcoming: no Poly document in
  reach of this project states the value, so it rests on that convention.
- Grandstream: answers on ``Call-Info: ...;answer-after=0`` when "Allow Auto
  Answer by Call-Info/Intercom" is on. Known shortcoming: taken from a
  survey of vendors' headers (voip.school, "Paging and Intercom"), not from
  a Grandstream manual.
- Cisco multiplatform (MPP) and Fanvil: ``Call-Info: ...;answer-after=0``,
  the form most phones take (Aastra's, AudioCodes' and Gigaset's manuals
  name it). Known shortcoming: no Cisco MPP or Fanvil document was at hand
  to confirm it, so these two get the default on purpose, named here so a
  correction has one place to go.
- Anything else: ``Call-Info: <sip:host>;answer-after=0`` (the Call-Info
  header of RFC 3261 section 20.9 with the answer-after parameter that the
  manuals above describe).
"""

from __future__ import annotations

#: The parameter that asks for an answer after 0 s of ringing: at once.
ANSWER_AT_ONCE = "answer-after=0"
#: Alert-Info's parameters for an immediate answer (Yealink, Snom).
ALERT_AUTOANSWER = "info=alert-autoanswer;delay=0"
#: The host put in the header's URI when the caller names none.
DEFAULT_HOST = "localhost"


def _call_info(host: str) -> list[str]:
    return [f"Call-Info: <sip:{host}>;{ANSWER_AT_ONCE}"]


def _alert_info(host: str) -> list[str]:
    return [f"Alert-Info: <sip:{host}>;{ALERT_AUTOANSWER}"]


def _ring_answer(host: str) -> list[str]:
    return ["Alert-Info: Ring Answer"]


# (User-Agent substrings in lower case, the headers for them), first match
# wins. Cisco MPP phones say "Cisco-CP8841-3PCC/..." or "Cisco/SPA...";
# Poly's newer firmware "Poly/..." and older "PolycomVVX-...", an Edge E
# (the VVX's software family) "PolyEdge-Edge_E350-UA/...".
VENDORS = (
    (("yealink",), _alert_info),
    (("snom",), _alert_info),
    (("polycom", "poly/", "poly ", "polyedge-"), _ring_answer),
    (("grandstream",), _call_info),
    (("cisco",), _call_info),
    (("fanvil",), _call_info),
)


def auto_answer_headers(user_agent: str, host: str = DEFAULT_HOST) -> list[str]:
    """The header lines (no CRLF) that make this phone answer by itself.

    Args:
        user_agent: the User-Agent the phone registered with; empty when
            unknown.
        host: the host for a header's URI (the PBX's SIP domain).

    Returns:
        One or more header lines, e.g. ``["Call-Info: <sip:pbx>;answer-after=0"]``.
    """
    agent = user_agent.lower()
    for names, headers in VENDORS:
        if any(name in agent for name in names):
            return headers(host)
    return _call_info(host)


def asks_auto_answer(call_info: str, alert_info: str) -> bool:
    """Whether a request's Call-Info or Alert-Info asks the callee to answer
    by itself (any of the forms above), so a phone cannot ask it of another
    through an ordinary call."""
    text = (call_info + " " + alert_info).lower().replace(" ", "")
    return any(
        form in text
        for form in ("answer-after=", "alert-autoanswer", "autoanswer", "ringanswer")
    )
