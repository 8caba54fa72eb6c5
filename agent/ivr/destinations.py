"""Where an IVR key (or a queue's failover) leads: ``extension:101``,
``voicemail:101``, ``ivr:500``, ``queue:700`` or ``hangup``."""

from __future__ import annotations

from dataclasses import dataclass

from agent.errors import InvalidInput

KINDS = ("extension", "voicemail", "ivr", "queue", "hangup")


@dataclass(frozen=True)
class Destination:
    kind: str
    target: str = ""

    @classmethod
    def parse(cls, text: str, field: str = "destination") -> Destination:
        kind, _, target = text.partition(":")
        if kind not in KINDS:
            raise InvalidInput(
                field,
                text,
                "one of "
                + ", ".join(f"{k}:NUMBER" if k != "hangup" else k for k in KINDS),
            )
        if kind == "hangup":
            if target:
                raise InvalidInput(field, text, "hangup takes no number")
            return cls("hangup")
        if not target.isdigit() or not target.isascii() or len(target) > 6:
            raise InvalidInput(field, text, f"{kind}: a number of 1 to 6 digits")
        return cls(kind, target)

    def __str__(self) -> str:
        return self.kind if self.kind == "hangup" else f"{self.kind}:{self.target}"
