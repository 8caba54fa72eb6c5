"""A refusal of the command line names what the user typed there: the option
(``--ring-time``) or the positional argument as ``--help`` shows it, not the
field the service and the REST API call it (``ring_time_s``)."""

import re
from concurrent.futures import ThreadPoolExecutor

from tests.pbx import RunningPbx

BAD_TEMPLATE = "{% if %}\n"

# One bad value per argument whose service field has another name: the
# command, and the option or argument its refusal must name.
REFUSED = [
    (("extension", "add", "1O1", "--name", "X"), "extension"),
    (("extension", "set-pickup-group", "101", "a/b"), "group"),
    (("extension", "forward", "101", "--busy", "9x"), "--busy"),
    (("extension", "forward", "101", "--no-answer", "101"), "--no-answer"),
    (("extension", "forward", "101", "--no-answer-seconds", "1"),
     "--no-answer-seconds"),
    (("extension", "recording", "101", "sometimes"), "mode"),
    (("extension", "recording", "1O1", "both"), "extension"),
    (("extension", "dnd", "1O1", "on"), "extension"),
    (("extension", "forward", "1O1", "--busy", "101"), "extension"),
    (("allowed-networks", "set", "1O1", "10.0.0.0/8"), "extension"),
    (("allowed-networks", "set", "101", "10.0.0.0/33"), "NET"),
    (("trunk", "recording", "t1", "maybe"), "state"),
    (("route", "add", "r2", "--pattern", "9X.", "--trunk", "nope"), "--trunk"),
    (("route", "update", "r1", "--extension", "999"), "--extension"),
    (("guard", "set", "--extension-countries", "999=44"), "--extension-countries"),
    (("inbound", "add", "556", "--to", "fax:1"), "--to"),
    (("inbound", "update", "555", "--set-caller-id", "zz"), "--set-caller-id"),
    (("ringgroup", "add", "600", "--name", "R", "--member", "101",
      "--ring-time", "1"), "--ring-time"),
    (("ringgroup", "add", "600", "--name", "R", "--member", "109"), "--member"),
    (("timecondition", "add", "tc2", "--open", "fax:1", "--closed", "hangup"),
     "--open"),
    (("timecondition", "add", "tc2", "--open", "hangup", "--closed", "fax:1"),
     "--closed"),
    (("timecondition", "add", "tc2", "--holiday", "2026-13-40", "--open", "hangup",
      "--closed", "hangup"), "--holiday"),
    (("timecondition", "set", "tc", "--remove-holiday", "2026-99-99"),
     "--remove-holiday"),
    (("ivr", "set", "500", "--name", "M", "--prompt", "dir-welcome",
      "--timeout", "0"), "--timeout"),
    (("ivr", "set", "500", "--name", "M", "--prompt", "dir-welcome",
      "--choice", "1=fax:1"), "--choice"),
    (("park", "settings", "--timeout", "1"), "--timeout"),
    (("voicemail", "set", "101", "--pin", "1357", "--email", "on"), "--email"),
    (("queue", "add", "610", "--name", "Q", "--ring-time", "2"), "--ring-time"),
    (("queue", "agents", "620", "--login", "109"), "--login"),
    (("network", "apply", "--static", "300.1.1.1/24"), "--static"),
    (("network", "apply", "--voice-vlan", "10", "--vlan-address", "x"),
     "--vlan-address"),
    (("network", "apply", "--dns", "x!"), "--dns"),
    (("firewall", "set", "sip", "--allow", "x"), "--allow"),
    (("report", "show", "--from", "2026-99-01"), "--from"),
    (("report", "schedule", "add", "r", "--frequency", "daily", "--hour", "1",
      "--to", "not-an-address"), "--to"),
    (("role", "add", "clerks", "--extensions", "x"), "--extensions"),
    (("phone", "template", "set", "yealink", "T54W", "-"), "template"),
]  # fmt: skip

# What each of those commands could have changed.
LISTS = [
    ("extension", "list"),
    ("extension", "features", "101"),
    ("allowed-networks", "list"),
    ("trunk", "list"),
    ("route", "list"),
    ("guard", "show"),
    ("inbound", "list"),
    ("ringgroup", "list"),
    ("timecondition", "list"),
    ("ivr", "list"),
    ("park", "settings"),
    ("voicemail", "list"),
    ("queue", "list"),
    ("firewall", "status"),
    ("report", "schedule", "list"),
    ("role", "list"),
    ("phone", "template", "list"),
]


def _everything(pbx: RunningPbx) -> dict:
    def listed(command: tuple[str, ...]):
        result = pbx.cli(*command, "--json")
        assert result.returncode == 0, result.stderr
        return result.json()

    network = pbx.cli("network", "status", "--json")
    with ThreadPoolExecutor(max_workers=4) as pool:
        shown = dict(zip(LISTS, pool.map(listed, LISTS), strict=True))
    return shown | {("network",): network.json()["settings"]}


def _given(pbx: RunningPbx, *args: str) -> None:
    result = pbx.cli(*args)
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_refusal_names_the_option_typed_and_changes_nothing(pbx_data):
    _given(pbx_data, "extension", "add", "101", "--name", "Front desk")
    _given(pbx_data, "trunk", "add", "t1", "--kind", "peer", "--host", "127.0.0.1")
    _given(pbx_data, "route", "add", "r1", "--pattern", "9X.", "--trunk", "t1")
    _given(pbx_data, "inbound", "add", "555", "--to", "hangup")
    _given(pbx_data, "guard", "set", "--extension-countries", "101=44")
    _given(pbx_data, "queue", "add", "620", "--name", "Sales", "--agents", "101")
    _given(
        pbx_data, "timecondition", "add", "tc", "--holiday", "2026-12-24",
        "--open", "hangup", "--closed", "hangup",
    )  # fmt: skip
    before = _everything(pbx_data)

    def refused(args: tuple[str, ...]):
        stdin = BAD_TEMPLATE if args[0] == "phone" else None
        return pbx_data.cli(*args, "--json", stdin=stdin)

    # Each is refused on its own: they may run side by side.
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(refused, [args for args, _ in REFUSED]))
    wrong = []
    for (args, option), result in zip(REFUSED, results, strict=True):
        assert result.returncode == 2, (args, result.stdout + result.stderr)
        error = result.json()["error"]
        named = re.compile(re.escape(option) + "[ :]")
        said = [error["field"], error["message"], result.stderr.strip()]
        if (
            said[0] != option
            or not named.match(said[1])
            or said[2] != f"edgepbx: {said[1]}"
        ):
            wrong.append((" ".join(args), option, error["message"]))
    assert wrong == []

    assert _everything(pbx_data) == before


# Command lines argparse itself refuses: an option missing its value, a
# value of the wrong form, an unknown choice, a required option left out.
MALFORMED = [
    (("console", "--status", "--baud", "fast"), "--baud"),
    (("backup", "schedule", "--frequency", "hourly"), "--frequency"),
    (("backup", "create"), "--output"),
    (("token", "revoke", "x1"), "id"),
    (("extension", "add", "101"), "--name"),
]


def test_a_malformed_command_line_is_refused_as_json_under_json(pbx_data):
    for args, argument in MALFORMED:
        plain = pbx_data.cli(*args)
        as_json = pbx_data.cli(*args, "--json")

        assert plain.returncode == as_json.returncode == 2, args
        assert plain.stdout == "", args
        assert plain.stderr.startswith("usage: edgepbx "), args
        error = as_json.json()["error"]
        assert error["type"] == "invalid-input", args
        assert error["field"] == argument, (args, error)
        assert argument in error["message"], (args, error)
        # Standard error says it as it does without --json.
        assert f"error: {error['message']}" in as_json.stderr, args
