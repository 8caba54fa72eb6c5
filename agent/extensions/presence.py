"""An extension's presence as callers meet it: whether a phone is registered,
whether do-not-disturb is on, and where its calls are forwarded.

It is what the user portal's home page shows, so a user can tell at a glance
why their calls do not ring. It reads the registrar (Kamailio) and the
feature settings through ``FeatureService``, so the same permissions apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.accounts.roles import Principal
from agent.extensions import registrations
from agent.extensions.features import (
    DND_COMES_FIRST,
    DND_EFFECT,
    FORWARD_KINDS,
    FeatureService,
)
from agent.sip.rpc import KamailioRpc, RpcError

#: How each forward reads in a sentence, by kind.
FORWARD_WHEN = {
    "always": "every call",
    "busy": "when busy",
    "no_answer": "when not answered",
    "unreachable": "when no phone is reachable",
}


@dataclass(frozen=True)
class Presence:
    extension: str
    #: Registered phones by User-Agent; None when the SIP core did not answer.
    phones: list[str] | None
    dnd: bool
    #: Forward kind → target, only the forwards that are set.
    forwards: dict[str, str] = field(default_factory=dict)
    no_answer_s: int = 0

    @property
    def rings(self) -> bool:
        """Whether a call to the extension rings one of its phones."""
        return bool(self.phones) and not self.dnd and "always" not in self.forwards

    def why_not(self) -> str:
        """Why a call does not ring, in one sentence; "" when it rings."""
        if self.dnd:
            return f"Do-not-disturb is on: {DND_EFFECT}; {DND_COMES_FIRST}."
        if "always" in self.forwards:
            return f"Every call is forwarded to {self.forwards['always']}."
        if self.phones is None:
            return "The phone system does not answer; ask your administrator."
        if not self.phones:
            return "No phone is registered to your extension."
        return ""


def presence_of(actor: Principal, rpc: KamailioRpc, number: str) -> Presence:
    """The presence of number as the actor may see it."""
    features = FeatureService(actor).get(number)
    try:
        phones = [r.user_agent or "a phone" for r in registrations.current(rpc, number)]
    except RpcError:
        phones = None
    settings = features.settings()
    forwards = {
        kind: settings[f"forward_{kind}"]
        for kind in FORWARD_KINDS
        if settings[f"forward_{kind}"]
    }
    return Presence(
        extension=number,
        phones=phones,
        dnd=features.dnd,
        forwards=forwards,
        no_answer_s=features.no_answer_s,
    )
