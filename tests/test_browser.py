"""A person's first visit to the web admin, in a real headless Chromium.

The browser is Debian's ``chromium`` driven by Playwright (``playwright-core``
from npm, installed by ``make browser-deps``, which ``make test`` runs); no
browser is downloaded.
"""

from __future__ import annotations

from tests import browser_driver
from tests.sipraw import SipClient
from tests.webclient import one_time_password


def test_first_sign_in_wizard_and_a_new_extension_in_chromium(pbx, browser_ready):
    password = one_time_password(pbx)
    seen = browser_driver.run(
        "first_signin.mjs",
        pbx,
        one_time_password=password,
        new_password="Browser-Chosen-2026",
        first_extension="100",
        extension="101",
    )
    registered = {}
    with SipClient("127.0.0.1", pbx.sip_port) as phone:
        for number, secret in (
            ("100", seen["firstSipPassword"]),
            ("101", seen["sipPassword"]),
        ):
            registered[number] = phone.send_with_auth(
                "REGISTER", f"sip:127.0.0.1:{pbx.sip_port}", number, secret
            ).status

    assert "/signin?next=" in seen["signInUrl"]
    assert seen["passwordUrl"].endswith("/password")
    assert seen["wizardUrl"].endswith("/setup/timezone")
    assert seen["networkShown"]
    assert len(seen["firstSipPassword"]) >= 12 and len(seen["sipPassword"]) >= 12
    assert seen["copyVisible"]
    assert seen["listed"] == ["100", "101"]
    assert seen["consoleErrors"] == []
    assert registered == {"100": 200, "101": 200}


def test_a_user_signs_into_the_portal_in_chromium(pbx, browser_ready):
    pbx.add_extension("101", "Reception")
    made = pbx.cli("account", "portal", "101", "--json")
    assert made.returncode == 0, made.stderr
    seen = browser_driver.run(
        "portal_signin.mjs",
        pbx,
        number="101",
        one_time_password=made.json()["one_time_password"],
        new_password="Portal-Chosen-2026",
    )

    assert seen["passwordUrl"].endswith("/password")
    assert seen["portalUrl"].endswith("/portal?notice=password-changed")
    assert "Reception" in seen["profile"] and "101" in seen["profile"]
    assert seen["adminLinks"] == 0
    assert seen["contacts"] == [["Plumber", "Pipes Ltd", "555123"]]
    assert seen["consoleErrors"] == []
