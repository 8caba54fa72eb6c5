"""Feature codes a phone dials to change its own extension's settings.

``*78`` turns do-not-disturb on and ``*79`` off, the codes most office PBXs
use for them. The media service answers, changes the setting through the
same service as the CLI, the pages and the API (``agent.extensions.
features``), acting as the user of the calling extension (the SIP routing
let the call through only with that extension's password, and a call from
a trunk never reaches a feature code), says what it did, and hangs up.
"""

from __future__ import annotations

import logging

from agent.accounts.roles import Principal, Role
from agent.errors import PbxError
from agent.extensions.features import FeatureService
from agent.media.flows import Flow, prompts

log = logging.getLogger("edgepbx.media")

DND_ON_CODE = "*78"
DND_OFF_CODE = "*79"
#: Code -> whether it turns do-not-disturb on.
DND_CODES = {DND_ON_CODE: True, DND_OFF_CODE: False}


class DoNotDisturbCode(Flow):
    """Turn the caller's do-not-disturb on or off, and say so."""

    def __init__(self, worker, channel, caller: str, on: bool) -> None:
        super().__init__(worker, channel)
        self.caller = caller
        self.on = on

    def start(self) -> None:
        user = Principal(f"phone {self.caller}", Role.USER, extension=self.caller)
        try:
            FeatureService(user).set_dnd(self.caller, self.on)
        except PbxError as exc:
            log.info("media: do-not-disturb from %s refused: %s", self.caller, exc)
            self.say(prompts("pbx-invalid", "vm-goodbye"), self.channel.hangup)
            return
        state = "on" if self.on else "off"
        log.info("extension %s: do-not-disturb %s from the phone", self.caller, state)
        said = "activated" if self.on else "de-activated"
        self.say(prompts("do-not-disturb", said), self.channel.hangup)
