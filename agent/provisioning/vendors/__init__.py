"""Vendors whose phones the PBX provisions, each in its own file format.

A vendor module renders two kinds of file: a common file every phone of that
vendor fetches, and a MAC file with one phone's accounts. ``VENDORS`` maps
the name an administrator types (``--vendor yealink``) to the module's
``Vendor``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from agent.errors import InvalidInput
from agent.provisioning.profile import PhoneProfile, SiteProfile


@dataclass(frozen=True)
class Vendor:
    name: str
    title: str
    #: Models this module's keys were written for (matched case-insensitively).
    models: re.Pattern[str]
    models_rule: str
    content_type: str
    #: File names of the common file, as phones ask for them (None: the
    #: vendor's phones fetch their own file only).
    common_file: re.Pattern[str] | None
    #: File names of a phone's own file; the group "mac" holds its address.
    mac_file: re.Pattern[str]
    render_common: Callable[[SiteProfile], bytes] | None
    render_mac_file: Callable[[PhoneProfile], bytes]
    #: Lines (SIP accounts) this module can write for one phone.
    max_lines: int = 16
    #: Further files of one phone, each a name pattern (group "mac") and its
    #: renderer, for vendors whose MAC file points to others (Poly).
    extra_mac_files: tuple[
        tuple[re.Pattern[str], Callable[[PhoneProfile], bytes]], ...
    ] = ()
    #: Programmable keys (line, BLF, park) this module can write.
    max_keys: int = 32
    #: Values of a phone as this vendor's fields take them, offered to an
    #: administrator's template beside the phone's own (``templates``);
    #: every phone gets the same names, None where a value does not apply.
    template_values: Callable[[PhoneProfile], dict[str, str | None]] | None = None
    #: What a per-device override's name must look like in this format.
    override_name: re.Pattern[str] = re.compile(r"[A-Za-z0-9_.]{1,64}")
    override_rule: str = "letters, digits, '_' and '.', like lang.gui"
    #: Lines of one model, where the vendor's models differ (None: every
    #: model takes ``max_lines``).
    model_lines: Callable[[str], int] | None = None
    #: Programmable keys of one model, where they differ (None: every model
    #: takes ``max_keys``); 0 for a model whose keys are not written.
    model_keys: Callable[[str], int] | None = None
    #: Models that look like this vendor's but take another format, each
    #: with the reason the administrator is shown.
    refused_models: tuple[tuple[re.Pattern[str], str], ...] = ()

    def check_model(self, model: str, held: Collection[str] = ()) -> str:
        """model if this vendor's phones take it; a model in ``held`` (one
        the PBX already keeps a phone, a template or a firmware file under,
        as saved when the vendor's list of models was another) is taken as
        it is, so what was saved under it can still be shown, changed and
        removed."""
        if model in held:
            return model
        for pattern, reason in self.refused_models:
            if pattern.fullmatch(model):
                raise InvalidInput("model", model, f"{self.title}: {reason}")
        if not self.models.fullmatch(model):
            raise InvalidInput("model", model, f"{self.title}: {self.models_rule}")
        return model

    def lines_for(self, model: str) -> int:
        """Lines (SIP accounts) this module writes for a phone of ``model``."""
        if self.model_lines is None:
            return self.max_lines
        return min(self.max_lines, self.model_lines(model))

    def lines_rule(self, model: str, most: int) -> str:
        """What the refusal of a line past ``most`` says, with the model's
        own count where the PBX writes fewer of its accounts."""
        rule = f"{self.title} {model}: at most {most} line{'s' if most > 1 else ''}"
        own = self.model_lines(model) if self.model_lines else None
        if own is not None and own > most:
            rule += f" (the PBX writes {most} of its {own} accounts)"
        return rule

    def keys_for(self, model: str) -> int:
        """Programmable keys this module writes for a phone of ``model``."""
        if self.model_keys is None:
            return self.max_keys
        return min(self.max_keys, self.model_keys(model))

    def mac_files(
        self,
    ) -> list[tuple[re.Pattern[str], Callable[[PhoneProfile], bytes]]]:
        return [(self.mac_file, self.render_mac_file), *self.extra_mac_files]


def merged(
    pairs: list[tuple[str, str]], overrides: tuple[tuple[str, str], ...]
) -> list[tuple[str, str]]:
    """The pairs with each override replacing the value of its name, or
    added at the end when the file had no such setting."""
    wanted = dict(overrides)
    out = [(name, wanted.pop(name, value)) for name, value in pairs]
    return out + list(wanted.items())


def _registry() -> dict[str, Vendor]:
    from agent.provisioning.vendors import (
        cisco,
        fanvil,
        grandstream,
        polycom,
        snom,
        yealink,
    )

    modules = (yealink, grandstream, snom, polycom, cisco, fanvil)
    return {module.VENDOR.name: module.VENDOR for module in modules}


VENDORS: dict[str, Vendor] = _registry()
#: Other names an administrator may type: the company is called Poly now.
ALIASES = {"poly": "polycom"}


def vendor(name: str) -> Vendor:
    key = (name or "").strip().lower()
    key = ALIASES.get(key, key)
    if key not in VENDORS:
        raise InvalidInput("vendor", name, "one of " + ", ".join(sorted(VENDORS)))
    return VENDORS[key]
