"""Dial patterns as PBX administrators write them, compiled to regexes.

The syntax is the one Asterisk-based PBXs made familiar:

    X       any digit 0-9          Z   any digit 1-9     N   any digit 2-9
    [1-5]   one digit of a set     .   one or more of anything (last only)
    !       zero or more of anything (last only)
    0-9 * # +   themselves
    9|NXXXXXX   a prefix before "|" that must be dialled and is then dropped

This module imports only the standard library: Kamailio's embedded Python
runs it for every outbound call, and the agent runs it to refuse a pattern
that cannot match before it is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LITERALS = set("0123456789*#+")
CLASSES = {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]"}
PATTERN_MAX = 64


class PatternError(ValueError):
    """A pattern that cannot match anything, with the reason."""


@dataclass(frozen=True)
class DialPattern:
    """A compiled pattern: which numbers it takes and what to dial instead."""

    text: str
    regex: re.Pattern
    #: Length of the "prefix|" part, dropped before strip and prepend apply.
    prefix_len: int

    def match(self, number: str) -> bool:
        return self.regex.fullmatch(number) is not None

    def dialled(self, number: str, strip: int, prepend: str) -> str:
        """The number sent to the trunk for a number this pattern matched."""
        rest = number[self.prefix_len :]
        return prepend + rest[strip:]


def _class(body: str, text: str) -> str:
    if not body:
        raise PatternError("an empty [] matches no digit")
    allowed: set[str] = set()
    i = 0
    while i < len(body):
        c = body[i]
        if i + 2 < len(body) and body[i + 1] == "-":
            low, high = c, body[i + 2]
            if not (low + high).isascii() or not (low.isdigit() and high.isdigit()):
                raise PatternError(f"[{body}]: ranges are of digits, like [1-5]")
            if low > high:
                raise PatternError(f"[{body}]: the range {low}-{high} is empty")
            allowed.update(str(d) for d in range(int(low), int(high) + 1))
            i += 3
            continue
        if c == ",":
            i += 1
            continue
        if not (c.isascii() and c.isdigit()):
            raise PatternError(f"[{body}]: only digits and ranges go inside [ ]")
        allowed.add(c)
        i += 1
    return "[" + "".join(sorted(allowed)) + "]"


def compile_pattern(text: str) -> DialPattern:
    """Compile one pattern; raise PatternError if it cannot match."""
    if not text:
        raise PatternError("a pattern needs at least one character")
    if len(text) > PATTERN_MAX:
        raise PatternError(f"at most {PATTERN_MAX} characters")
    if text.count("|") > 1:
        raise PatternError('at most one "|" between the prefix and the number')
    prefix, _, body = text.rpartition("|")
    if "|" in text and not body:
        raise PatternError('something must follow the "|"')

    parts: list[str] = []
    prefix_len = 0
    for section, is_prefix in ((prefix, True), (body, False)):
        i = 0
        while i < len(section):
            c = section[i].upper() if section[i] in "xzn" else section[i]
            if c in LITERALS:
                parts.append(re.escape(c))
                i += 1
            elif c in CLASSES:
                parts.append(CLASSES[c])
                i += 1
            elif c == "[":
                end = section.find("]", i)
                if end < 0:
                    raise PatternError('a "[" without its "]"')
                parts.append(_class(section[i + 1 : end], text))
                i = end + 1
            elif c in ".!":
                if is_prefix or i != len(section) - 1:
                    raise PatternError(f'"{c}" may only end a pattern')
                parts.append(".+" if c == "." else ".*")
                i += 1
            else:
                raise PatternError(
                    f'"{section[i]}" is not pattern syntax (digits, * # +, X Z N, '
                    "[ ], . and ! at the end)"
                )
            if is_prefix:
                prefix_len += 1
    return DialPattern(
        text=text, regex=re.compile("".join(parts)), prefix_len=prefix_len
    )
