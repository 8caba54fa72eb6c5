"""The phone, template and firmware pages laid out by a real Chromium, at
a desktop's width and a phone's (``tests/browser/phone_pages.mjs``); the
screenshots stay in the test's temporary directory for a person to see."""

from __future__ import annotations

from tests import browser_driver
from tests.webclient import signed_in

MAC = "805ec0000071"
#: A Grandstream GXV: an Android video phone the PBX writes no keys for.
KEYLESS_MAC = "000b82000072"


def test_phone_pages_fit_the_screen_and_show_the_template_preview(
    pbx, browser_ready, tmp_path
):
    pbx.add_extension("101", "Front desk")
    pbx.add_extension("102", "Reception and visitor desk, ground floor")
    assert pbx.add_phone(MAC, "101").returncode == 0
    keyless = pbx.add_phone(KEYLESS_MAC, "102", vendor="grandstream", model="GXV3370")
    assert keyless.returncode == 0, keyless.stderr
    keys = pbx.cli("phone", "keys", MAC, "--key", "blf:102", "--key", "park:7001")
    assert keys.returncode == 0, keys.stderr
    pbx.cli("phone", "auth", MAC, "--mode", "required")
    web = signed_in(pbx)

    seen = browser_driver.run(
        "phone_pages.mjs",
        pbx,
        session=web.cookies["__Host-edgepbx_session"],
        screenshots=str(tmp_path),
        mac=MAC,
        keyless_mac=KEYLESS_MAC,
    )

    for page, facts in seen.items():
        assert not facts["sideways"], (page, tmp_path)
    assert "custom.note = T54W" in seen["template-wide"]["preview"]
    assert "account.1.user_name = 101" in seen["template-narrow"]["preview"]
    assert seen["keyless"] == {
        "sideways": False,
        "keysForms": 0,
        "overridesForms": 1,
        "saying": "Grandstream GXV3370: no programmable keys the PBX can write.",
    }
