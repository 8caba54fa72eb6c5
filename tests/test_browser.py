"""A person's first visit to the web admin, in a real headless Chromium.

The browser is Debian's ``chromium`` driven by Playwright (``playwright-core``
from npm, installed by ``make browser-deps``, which ``make test`` runs); no
browser is downloaded.
"""

from __future__ import annotations

from tests import browser_driver
from tests.sipraw import SipClient
from tests.webclient import one_time_password


def test_first_sign_in_password_change_and_a_new_extension_in_chromium(
    pbx, browser_ready
):
    password = one_time_password(pbx)
    seen = browser_driver.run(
        "first_signin.mjs",
        pbx,
        one_time_password=password,
        new_password="Browser-Chosen-2026",
        extension="101",
    )
    with SipClient("127.0.0.1", pbx.sip_port) as phone:
        registered = phone.send_with_auth(
            "REGISTER", f"sip:127.0.0.1:{pbx.sip_port}", "101", seen["sipPassword"]
        )

    assert "/signin?next=" in seen["signInUrl"]
    assert seen["passwordUrl"].endswith("/password")
    assert len(seen["sipPassword"]) >= 12
    assert seen["copyVisible"]
    assert seen["listed"] == ["101"]
    assert seen["consoleErrors"] == []
    assert registered.status == 200
