"""A form sent with several fields wrong shows every field's error at once,
beside its field, in a real headless Chromium (``tests/browser/
form_errors.mjs``), and saves nothing."""

from __future__ import annotations

from agent.backup.schedule import HOUR_RULE, KEEP_RULE, WEEKDAY_ONLY_WEEKLY
from tests import browser_driver
from tests.webclient import signed_in


def test_every_wrong_field_of_a_form_is_shown_at_once_and_nothing_saved(
    pbx, browser_ready
):
    pbx.add_extension("101", "Front desk")
    weekly = pbx.cli(
        "backup", "schedule", "--frequency", "weekly", "--weekday", "friday",
        "--hour", "2", "--keep", "5",
    )  # fmt: skip
    assert weekly.returncode == 0, weekly.stderr
    admin = signed_in(pbx)

    seen = browser_driver.run(
        "form_errors.mjs", pbx, session=admin.cookies["__Host-edgepbx_session"]
    )

    assert seen["newExtension"].keys() == {"number", "display_name", "email"}
    assert "digits only" in seen["newExtension"]["number"]
    assert "must not be empty" in seen["newExtension"]["display_name"]
    assert "an address like" in seen["newExtension"]["email"]
    assert seen["extension"].keys() == {"display_name", "email", "pickup_group"}
    assert "letters, digits" in seen["extension"]["pickup_group"]
    assert seen["dayList"] == {"daily": "", "weekly": "friday"}
    assert seen["schedule"] == {
        "weekday": f'weekday "monday": {WEEKDAY_ONLY_WEEKLY} (the schedule is daily)',
        "hour": f'hour "24": {HOUR_RULE}',
        "keep": f'keep "0": {KEEP_RULE}',
    }

    extensions = pbx.cli("extension", "list", "--json").json()
    assert [(e["number"], e["display_name"]) for e in extensions] == [
        ("101", "Front desk")
    ]
    schedule = pbx.cli("backup", "schedule", "--json").json()
    assert (schedule["frequency"], schedule["hour"], schedule["keep"]) == (
        "weekly",
        2,
        5,
    )
