"""The admin's add and edit forms in a real headless Chromium: an add never
changes what exists, an edit saved over someone else's change is refused,
and the queue and page group pages do what ``edgepbx queue`` and ``edgepbx
paging`` do."""

from __future__ import annotations

from tests import browser_driver
from tests.webclient import signed_in


def test_edit_forms_refuse_stale_and_duplicate_saves_and_queues_are_managed(
    pbx, browser_ready
):
    pbx.add_extension("101", "Front desk")
    pbx.add_extension("102", "Stock room")
    made = pbx.cli("queue", "add", "802", "--name", "Billing", "--agents", "102")
    menu = pbx.cli(
        "ivr", "set", "601", "--name", "Main", "--prompt", "dir-welcome",
        "--choice", "1=queue:802",
    )  # fmt: skip
    assert made.returncode == 0 and menu.returncode == 0, made.stderr + menu.stderr
    admin = signed_in(pbx)

    seen = browser_driver.run(
        "admin_forms.mjs", pbx, session=admin.cookies["__Host-edgepbx_session"]
    )

    extension, paging, queues = seen["extension"], seen["paging"], seen["queues"]
    assert "saved" in extension["firstSave"]
    assert "changed by someone else" in extension["secondError"]
    assert "nothing was saved" in extension["secondError"]
    assert extension["secondShows"] == "Reception"
    listed = pbx.cli("extension", "list", "--json").json()
    assert [e["display_name"] for e in listed if e["number"] == "101"] == ["Reception"]

    assert "page group 701 already exists" in paging["addedAgain"]["error"]
    assert "Warehouse" in paging["addedAgain"]["listed"]
    assert "Dock" not in paging["addedAgain"]["listed"]
    assert paging["editHeading"] == "Change page group 701"
    assert "701 Loading dock 101, 102" in paging["edited"]

    assert "queue 801 already exists" in queues["addedAgain"]
    assert "Sales team" in queues["edited"] and "Support" not in queues["edited"]

    def row_801(text: str) -> str:
        return text.split("801", 1)[1].split("802")[0]

    assert "102 " in row_801(queues["loggedIn"])
    assert "102" not in row_801(queues["loggedOut"])
    assert "still a destination of IVR 601" in queues["removeRefused"]
    assert "801" not in queues["afterRemove"]
    assert "802" in queues["afterRemove"]
    queues_left = pbx.cli("queue", "list", "--json").json()
    assert [q["number"] for q in queues_left] == ["802"]
