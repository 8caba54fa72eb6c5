"""Models the PBX already keeps something under, per vendor.

A vendor's list of models can change between versions: a model an earlier
version took (a Grandstream GXP1405, when any GXP1xxx was taken) may be
on it no longer. A phone stored under such a model still gets its files;
its template and its firmware must stay reachable too, to be shown,
changed or removed, so ``Vendor.check_model`` takes a model held here as
it is. A new phone is still held to the vendor's list.
"""

from __future__ import annotations

from agent.db.models import Phone, PhoneFirmware, PhoneFirmwareTarget, PhoneTemplate


def held_models(vendor: str) -> frozenset[str]:
    """Every model a phone, a template, a firmware file or a firmware
    target of ``vendor`` is stored under."""
    held: set[str] = set()
    for table in (Phone, PhoneTemplate, PhoneFirmware, PhoneFirmwareTarget):
        query = table.select(table.model).where(table.vendor == vendor).distinct()
        held.update(row.model for row in query)
    return frozenset(held)
