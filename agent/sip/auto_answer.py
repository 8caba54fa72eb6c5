"""Headers that ask a desk phone to answer a call by itself.

There is no standard header for it; vendors document one of two forms.
``Call-Info: ...;answer-after=0`` (draft-ietf-sip-answermode's predecessor,
used by Yealink, Snom, Grandstream, Fanvil and most softphones) and
``Alert-Info: ...;info=alert-autoanswer`` (Yealink, Cisco SPA/MPP), while
Polycom answers an ``Alert-Info`` whose ``info`` names its ring class
"Auto Answer". A phone ignores the form it does not know, so both common
forms go to any phone that is not a Polycom.

Runs inside Kamailio too: standard library only.
"""

from __future__ import annotations

#: The address the headers point at; phones read only the parameters.
INFO_URI = "<http://127.0.0.1>"

CALL_INFO_ANSWER = "Call-Info: " + INFO_URI + ";answer-after=0"
ALERT_INFO_ANSWER = "Alert-Info: " + INFO_URI + ";info=alert-autoanswer;delay=0"
POLYCOM_ALERT_INFO = "Alert-Info: " + INFO_URI + ";info=Auto Answer"


def auto_answer_headers(user_agent: str) -> list[str]:
    """The header lines (no line ends) that make a phone with this
    User-Agent answer an incoming call at once."""
    agent = (user_agent or "").lower()
    if "polycom" in agent or "poly/" in agent:
        return [POLYCOM_ALERT_INFO]
    return [CALL_INFO_ANSWER, ALERT_INFO_ANSWER]
