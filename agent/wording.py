"""How a count reads in a message: "1 account", "3 accounts"."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """count and its noun, singular for exactly one.

    Args:
        noun: the singular ("account", "more backup-done event").
        plural: when adding "s" is not the plural ("accounts or API tokens").
    """
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {plural or noun + 's'}"
