"""A stand-in for Kamailio's KSR module, to unit-test the KEMI routing.

Every KSR function called is recorded as ("module.function", args); return
values come from a table the test sets, defaulting to 1 (success in KEMI).
The real routing is tested against a running Kamailio elsewhere; this is
for the decisions in each step.
"""

from __future__ import annotations

from typing import Any


class _Namespace:
    def __init__(self, fake: FakeKsr, prefix: str) -> None:
        self._fake = fake
        self._prefix = prefix

    def __getattr__(self, name: str):
        return self._fake._function(f"{self._prefix}{name}")


class FakeKsr:
    MODULES = (
        "auth",
        "auth_db",
        "corex",
        "dialog",
        "dispatcher",
        "hdr",
        "htable",
        "maxfwd",
        "nathelper",
        "pike",
        "presence",
        "pv",
        "registrar",
        "rr",
        "rtpengine",
        "sanity",
        "siputils",
        "sl",
        "tm",
        "textops",
        "tmx",
        "tsilo",
        "uac",
    )

    #: The modules that run inside Kamailio and import KSR from it.
    KEMI_MODULES = (
        "agent.sip.routing",
        "agent.sip.outside",
        "agent.sip.forwarding",
        "agent.sip.hold",
        "agent.sip.lamps",
        "agent.sip.pickup",
        "agent.sip.transfer",
    )

    def install(self, monkeypatch) -> FakeKsr:
        """Stand in for KSR in every KEMI module for the rest of the test."""
        import importlib

        for name in self.KEMI_MODULES:
            monkeypatch.setattr(importlib.import_module(name), "KSR", self)
        return self

    def __init__(self, pv: dict[str, str] | None = None) -> None:
        self.calls: list[tuple[str, tuple]] = []
        self.returns: dict[str, Any] = {}
        self.values = dict(pv or {})
        for module in self.MODULES:
            setattr(self, module, _Namespace(self, f"{module}."))
        self.pv = _Namespace(self, "pv.")
        self.returns["pv.get"] = lambda name: (
            self.method if name == "$rm" else self.values.get(name)
        )
        self.method = "INVITE"

    def _function(self, name: str):
        def call(*args):
            self.calls.append((name, args))
            value = self.returns.get(name, 1)
            return value(*args) if callable(value) else value

        return call

    def __getattr__(self, name: str):
        if name.startswith("is_") and name[3:].isupper():
            return lambda: self.method == name[3:]
        return self._function(name)

    def called(self, name: str) -> list[tuple]:
        return [args for called, args in self.calls if called == name]

    def replies(self) -> list[tuple]:
        """Final replies, stateless (sl_send_reply) or as the state allows."""
        return [
            args
            for called, args in self.calls
            if called in {"sl.sl_send_reply", "sl.send_reply"}
        ]
