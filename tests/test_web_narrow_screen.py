"""The web admin on a phone-sized screen, laid out by a real Chromium.

Driven by ``tests/browser/narrow_screen.mjs`` (Playwright with Debian's
``chromium``, as in ``tests/test_browser.py``); the screenshots it takes are
kept in the test's temporary directory for a person to look at.
"""

from __future__ import annotations

from tests import browser_driver
from tests.webclient import signed_in

LONG_NAME = "Reception and visitor desk, ground floor, building B"


def test_lists_fit_a_phone_screen_without_hiding_a_column(pbx, browser_ready, tmp_path):
    web = signed_in(pbx)
    for number, email in (("101", "reception.visitors@example.com"), ("102", "")):
        web.post_form(
            "/extensions/new",
            {"number": number, "display_name": LONG_NAME, "email": email},
        )
    web.post_form(
        "/extensions/101",
        {"display_name": "Front", "email": "front.desk.long.address@example.com"},
    )
    seen = browser_driver.run(
        "narrow_screen.mjs",
        pbx,
        session=web.cookies["__Host-edgepbx_session"],
        screenshots=str(tmp_path),
    )

    for page in ("extensions", "audit"):
        assert not seen[page]["pageScrollsSideways"], (page, tmp_path)
        assert not seen[page]["tableScrollsSideways"], (page, tmp_path)
        assert all(seen[page]["shown"].values()), (page, seen[page], tmp_path)
