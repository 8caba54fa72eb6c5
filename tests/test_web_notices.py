"""Every page that redirects with ``?notice=`` names a notice the layout
shows: a save that redirects to a page saying nothing looks like a save
that did nothing."""

from __future__ import annotations

import re
from pathlib import Path

from webadmin.pages import NOTICES

WEBADMIN = Path(__file__).resolve().parent.parent / "webadmin"
_REDIRECT = re.compile(r"""\?notice=([a-z-]+)""")


def test_every_notice_a_page_redirects_with_is_shown():
    used = {
        (path.name, name)
        for path in WEBADMIN.glob("*.py")
        for name in _REDIRECT.findall(path.read_text())
    }

    assert used, "no page redirects with a notice: the pattern is wrong"
    assert [(page, n) for page, n in sorted(used) if n not in NOTICES] == []
