"""A PDF's text as a reader sees it, laid out as on the page (pdftotext,
from Debian's poppler-utils)."""

from __future__ import annotations

import subprocess


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout.decode()
