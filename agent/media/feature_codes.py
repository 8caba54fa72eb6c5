"""Feature codes a phone dials to change its own extension's settings.

Do-not-disturb on and off, forwards (always, on busy, on no answer: the
code then the target, or the cancel code) and call waiting on and off, with
the codes of the feature-code table (``agent/sip/feature_codes.py``;
``*78``/``*79``, ``*72``/``*73``, ``*90``/``*91``, ``*52``/``*53`` and
``*70``/``*71`` by default). The media service answers, changes the
setting through the same service as the CLI, the pages and the API
(``agent.extensions.features``), acting as the user of the calling
extension (the SIP routing let the call through only with that
extension's password, and a call from a trunk never reaches a feature
code), says what it did, and hangs up. A change the service refuses (a
forward target this extension may not reach) is said to be invalid, and
nothing changes.
"""

from __future__ import annotations

import logging

from agent.accounts.roles import Principal, Role
from agent.errors import PbxError
from agent.extensions.features import FeatureService
from agent.media.flows import Flow, prompts

log = logging.getLogger("edgepbx.media")

#: Feature -> (the setting it changes, whether it takes the dialled number
#: as the value, else the value it sets).
SETTINGS: dict[str, tuple[str, object]] = {
    "dnd_on": ("dnd", True),
    "dnd_off": ("dnd", False),
    "call_waiting_on": ("call_waiting", True),
    "call_waiting_off": ("call_waiting", False),
    "forward_always": ("forward_always", None),
    "forward_always_off": ("forward_always", ""),
    "forward_busy": ("forward_busy", None),
    "forward_busy_off": ("forward_busy", ""),
    "forward_no_answer": ("forward_no_answer", None),
    "forward_no_answer_off": ("forward_no_answer", ""),
}
#: The prompt that names each setting.
SETTING_PROMPTS = {
    "dnd": "do-not-disturb",
    "call_waiting": "call-waiting",
    "forward_always": "call-forwarding",
    "forward_busy": "call-fwd-on-busy",
    "forward_no_answer": "call-forwarding",
}


class SettingCode(Flow):
    """Change one of the caller's settings, and say so."""

    def __init__(self, worker, channel, caller: str, feature: str, number: str):
        super().__init__(worker, channel)
        self.caller = caller
        self.setting, value = SETTINGS[feature]
        self.value = number if value is None else value

    def start(self) -> None:
        user = Principal(f"phone {self.caller}", Role.USER, extension=self.caller)
        try:
            FeatureService(user).change(self.caller, **{self.setting: self.value})
        except PbxError as exc:
            log.info("media: %s from %s refused: %s", self.setting, self.caller, exc)
            self.say(prompts("pbx-invalid", "vm-goodbye"), self.channel.hangup)
            return
        log.info(
            "extension %s: %s set to %r from the phone",
            self.caller,
            self.setting,
            self.value,
        )
        said = "activated" if self.value not in {False, ""} else "de-activated"
        self.say(prompts(SETTING_PROMPTS[self.setting], said), self.channel.hangup)
