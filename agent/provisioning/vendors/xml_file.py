"""XML files for the vendors that use XML, built with ElementTree so every
value is escaped, with the declaration phones expect."""

from __future__ import annotations

import xml.etree.ElementTree as ET

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def to_bytes(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return DECLARATION + ET.tostring(root, encoding="unicode").encode() + b"\n"
