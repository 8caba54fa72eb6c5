"""Templates editable per model: checked when saved, previewed, served to
the phones of that model, and never served broken."""

from __future__ import annotations

import dataclasses
import sqlite3
import time

import pytest

from agent.provisioning import templates
from agent.provisioning.vendors import VENDORS
from agent.sip.park_slots import ParkSettings
from tests.test_provisioning_files import parse_yealink

MAC = "805ec0aabbcc"
ADDED = (
    "{{ built_in }}features.dnd.enable = 1\n"
    "phone_setting.backlight = {{ phone.model }}\n"
)


@pytest.fixture
def office(pbx_data):
    pbx_data.add_extension("101", "Front desk")
    assert pbx_data.add_phone(MAC, "101", model="T54W").returncode == 0
    assert pbx_data.add_phone("805ec0aabbcd", "101", model="T46U").returncode == 0
    return pbx_data


# Templates that, unbounded, held a worker at full CPU and growing memory
# for minutes; each is refused with the rule it broke.
RUNAWAY = [
    (
        "{{ built_in }}{% for i in range(100000) %}"
        "{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        "steps (loop iterations, calls, filters)",
    ),
    ('{{ "x" * 1000000000 }}', "the operator *: a result of more than"),
]
# A refusal takes no longer than a save that succeeds, give or take this
# margin for a busy machine starting processes (the render itself is held
# under a second in test_template_sandbox.py); unbounded, these ran for
# minutes.
SLACK_S = 5.0


def save(pbx, model: str, body: str, *extra: str):
    return pbx.cli(
        "phone", "template", "set", "yealink", model, "-", *extra, stdin=body
    )


def served(pbx, name: str) -> dict[str, str]:
    return parse_yealink(pbx.cli("phone", "file", name).stdout.encode())


def test_a_model_template_reaches_that_models_phones_only(office):
    saved = save(office, "T54W", ADDED)
    t54w = served(office, f"{MAC}.cfg")
    t46u = served(office, "805ec0aabbcd.cfg")

    assert saved.returncode == 0, saved.stderr
    assert t54w["features.dnd.enable"] == "1"
    assert t54w["phone_setting.backlight"] == "T54W"
    assert t54w["account.1.user_name"] == "101"
    assert "features.dnd.enable" not in t46u


def test_a_template_for_every_model_is_used_where_no_model_template_is(office):
    save(office, "*", "{{ built_in }}wildcard = yes\n")
    save(office, "T54W", ADDED)
    t54w = served(office, f"{MAC}.cfg")
    t46u = served(office, "805ec0aabbcd.cfg")

    assert "wildcard" not in t54w
    assert t46u["wildcard"] == "yes"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{{ built_in }}\n{% for x in %}", "line 2"),
        ("{{ built_in }}\n{{ phone.no_such_value }}\n", "no_such_value"),
        ("account.1.user_name = 1\n", "#!version:1.0.0.1"),
        ("{{ built_in }}{{ ''.__class__.__mro__ }}", "unsafe"),
    ],
)
def test_a_template_that_does_not_render_is_refused_and_the_old_one_stays(
    office, body, message
):
    save(office, "T54W", ADDED)
    refused = save(office, "T54W", body)
    kept = office.cli("phone", "template", "show", "yealink", "T54W").stdout

    assert refused.returncode == 2
    assert message in refused.stderr
    assert kept == ADDED


def test_an_xml_vendors_template_must_give_well_formed_xml(office):
    refused = office.cli(
        "phone",
        "template",
        "set",
        "snom",
        "D785",
        "-",
        stdin="{{ built_in }}<extra>\n",
    )
    assert refused.returncode == 2
    assert "not well-formed XML" in refused.stderr


def test_preview_renders_an_unsaved_template_for_a_sample_or_a_real_phone(
    office, tmp_path
):
    draft = tmp_path / "draft.tmpl"
    draft.write_text("{{ built_in }}extra = {{ phone.lines[0].number }}\n")
    sample = office.cli(
        "phone", "template", "preview", "yealink", "T54W", "--template", str(draft)
    )
    real = office.cli(
        "phone",
        "template",
        "preview",
        "yealink",
        "T54W",
        "--template",
        str(draft),
        "--mac",
        MAC,
    )
    nothing_saved = office.cli("phone", "template", "list", "--json").json()

    assert "account.2.user_name = 102" in sample.stdout  # the sample phone
    assert parse_yealink(real.stdout.encode())["extra"] == "101"
    assert nothing_saved == []


GRANDSTREAM_PHONEBOOK = (
    '<gs_provision version="1"><config version="1">'
    "<P330>{{ phone.phonebook_download }}</P330>"
    "<P331>{{ phone.phonebook_folder }}</P331>"
    "<P192>{{ phone.firmware_url }}</P192>"
    "</config></gs_provision>\n"
)


def test_the_preview_s_sample_phone_has_a_phonebook_and_a_firmware(pbx_data, tmp_path):
    draft = tmp_path / "draft.tmpl"
    draft.write_text(GRANDSTREAM_PHONEBOOK)
    preview = pbx_data.cli(
        "phone",
        "template",
        "preview",
        "grandstream",
        "GXP2170",
        "--template",
        str(draft),
    )

    assert preview.returncode == 0, preview.stderr
    assert "<P330>1</P330>" in preview.stdout  # HTTP
    assert "<P331>192.0.2.10:8080/prov/805ec0aabbcc</P331>" in preview.stdout
    assert "sample-firmware.bin" in preview.stdout
    assert "None" not in preview.stdout


def test_phone_keys_are_the_phone_s_keys_not_a_dict_method():
    phone = templates.sample_phone(VENDORS["yealink"], "T54W")
    body = "{% for key in phone.keys %}{{ key.kind }}:{{ key.label }};{% endfor %}"

    written = templates.render_body(body, b"", phone.site, phone)

    assert written == b"line:Line 1;blf:Warehouse;park:Park 7001;"


def test_the_sample_phone_s_park_key_is_a_slot_the_appliance_has_by_default():
    phone = templates.sample_phone(VENDORS["yealink"], "T54W")
    parks = [key.target for key in phone.keys if key.kind == "park"]

    assert parks and set(parks) <= set(ParkSettings().slots)


def every_value(context: dict) -> str:
    """A template body writing every value a template is given."""
    phone, site = context["phone"], context["site"]
    out = [f"{{{{ site.{key} }}}}" for key in site]
    for key, value in phone.items():
        if isinstance(value, list | tuple) and value and isinstance(value[0], dict):
            fields = " ".join(f"{{{{ item.{name} }}}}" for name in value[0])
            out.append(f"{{% for item in phone.{key} %}}{fields}{{% endfor %}}")
        else:
            out.append(f"{{{{ phone.{key} }}}}")
    return "\n".join(out)


@pytest.mark.parametrize("vendor", sorted(VENDORS))
@pytest.mark.parametrize("lacking", [False, True])
def test_no_template_value_is_written_as_none(vendor, lacking):
    """Every value a template gets, for the sample phone and for a phone
    with no firmware target and no phonebook: none writes "None"."""
    maker = VENDORS[vendor]
    phone = templates.sample_phone(maker, "*")
    if lacking:
        phone = dataclasses.replace(phone, firmware_url=None, phonebook_url=None)
    context = templates._context(b"", phone.site, phone)
    built_in = templates.built_in_file(maker, templates.MAC, phone)

    written = templates.render_body(every_value(context), built_in, phone.site, phone)

    assert "phonebook_url" in context["phone"] and "ntp_server" in context["site"]
    assert b"None" not in written
    if not lacking and vendor != "polycom":  # Poly asks for its own directory
        assert b"/prov/805ec0aabbcc" in written


def test_reset_brings_back_the_built_in_file(office):
    save(office, "T54W", ADDED)
    office.cli("phone", "template", "reset", "yealink", "T54W")
    values = served(office, f"{MAC}.cfg")

    assert "features.dnd.enable" not in values


def test_common_file_templates_are_for_every_model(office):
    refused = office.cli(
        "phone",
        "template",
        "set",
        "yealink",
        "T54W",
        "-",
        "--file",
        "common",
        stdin="{{ built_in }}",
    )
    saved = office.cli(
        "phone",
        "template",
        "set",
        "yealink",
        "*",
        "-",
        "--file",
        "common",
        stdin="{{ built_in }}auto_provision.mode = 1\n",
    )
    common = office.cli("phone", "file", "y000000000000.cfg").stdout

    assert refused.returncode == 2 and "for * only" in refused.stderr
    assert saved.returncode == 0
    assert "auto_provision.mode = 1" in common


def test_templates_over_the_api_are_checked_previewed_and_saved(pbx):
    from tests.webclient import api_client

    admin = api_client(pbx, "administrator")
    base = "/api/v1/phone-templates/yealink/T54W/mac"
    broken = admin.request("PUT", base, json_body={"body": "{% if %}"})
    preview = admin.request(
        "POST", f"{base}/preview", json_body={"body": "{{ built_in }}x = 1\n"}
    )
    unsaved = admin.get(base).json()
    saved = admin.request("PUT", base, json_body={"body": "{{ built_in }}x = 2\n"})
    operator = api_client(pbx, "operator").request(
        "PUT", base, json_body={"body": "{{ built_in }}"}
    )

    assert broken.status == 422
    assert broken.json()["field"] == "body"
    assert "line 1" in broken.json()["detail"]
    assert preview.status == 200
    assert preview.json()["content"].endswith("x = 1\n")
    assert unsaved["built_in"] is True
    assert saved.status == 200 and saved.json()["body"].endswith("x = 2\n")
    assert operator.status == 403


def timed(action):
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


@pytest.mark.parametrize(("body", "rule"), RUNAWAY)
def test_a_runaway_template_is_refused_quickly_over_the_cli(office, body, rule):
    saved, normal = timed(lambda: save(office, "T54W", ADDED))
    refused, took = timed(lambda: save(office, "T54W", body))
    previewed, preview_took = timed(
        lambda: office.cli(
            "phone",
            "template",
            "preview",
            "yealink",
            "T54W",
            "--template",
            "-",
            stdin=body,
        )
    )
    kept = office.cli("phone", "template", "show", "yealink", "T54W").stdout

    assert saved.returncode == 0, saved.stderr
    assert refused.returncode == 2
    assert rule in refused.stderr
    assert took < normal + SLACK_S
    assert previewed.returncode == 2 and rule in previewed.stderr
    assert preview_took < normal + SLACK_S
    assert kept == ADDED


def test_a_runaway_template_is_refused_quickly_over_the_api_and_the_box_answers(
    pbx,
):
    from tests.test_provisioning_auth import http_get
    from tests.webclient import api_client

    pbx.add_extension("101", "Front desk")
    assert pbx.add_phone(MAC, "101", model="T54W").returncode == 0
    admin = api_client(pbx, "administrator")
    base = "/api/v1/phone-templates/yealink/T54W/mac"
    saved, normal = timed(lambda: admin.request("PUT", base, json_body={"body": ADDED}))
    refusals = [
        timed(lambda body=body: admin.request("PUT", base, json_body={"body": body}))
        for body, _ in RUNAWAY
    ]
    preview, _ = timed(
        lambda: admin.request(
            "POST", f"{base}/preview", json_body={"body": RUNAWAY[0][0]}
        )
    )
    kept = admin.get(base).json()
    served = parse_yealink(http_get(pbx, f"/prov/{MAC}.cfg")[2])

    assert saved.status == 200, saved.body
    for (refused, took), (_, rule) in zip(refusals, RUNAWAY, strict=True):
        assert refused.status == 422, refused.body
        assert refused.json()["field"] == "body"
        assert rule in refused.json()["detail"]
        assert took < normal + SLACK_S
    assert preview.status == 422
    assert kept["body"] == ADDED
    assert served["features.dnd.enable"] == "1"


def test_a_runaway_template_already_in_the_database_gets_the_phone_its_built_in_file(
    office,
):
    """A template stored before rendering was bounded: the phone's file is
    the built-in one, at once."""
    with sqlite3.connect(office.data_dir / "db" / "edgepbx.sqlite") as db:
        db.execute(
            "INSERT INTO phone_template"
            " (vendor, model, file_kind, body, updated_at, updated_by)"
            " VALUES ('yealink', 'T54W', 'mac', ?, '2026-01-01 00:00:00', 'admin')",
            (RUNAWAY[0][0],),
        )
    db.close()
    other, normal = timed(lambda: office.cli("phone", "file", "805ec0aabbcd.cfg"))
    served, took = timed(lambda: office.cli("phone", "file", f"{MAC}.cfg"))

    assert served.returncode == 0, served.stderr
    assert parse_yealink(served.stdout.encode())["account.1.user_name"] == "101"
    assert "features.dnd.enable" not in served.stdout
    assert other.returncode == 0
    assert took < normal + SLACK_S


GS_MAC = "000b82aabbcc"
# A Grandstream model an earlier version took (any GXP1xxx was) and the
# model list has no more.
UNLISTED = "GXP1405"
GS_ADDED = "{{ built_in | replace('</config>', '<!-- edited --></config>') }}"


def test_a_phone_stored_under_a_model_no_longer_listed_keeps_its_template(
    pbx_data, tmp_path
):
    pbx_data.add_extension("101", "Front desk")
    added = pbx_data.add_phone(GS_MAC, "101", vendor="grandstream", model="GXP2170")
    assert added.returncode == 0, added.stderr
    with sqlite3.connect(pbx_data.data_dir / "db" / "edgepbx.sqlite") as db:
        db.execute("UPDATE phone SET model = ? WHERE mac = ?", (UNLISTED, GS_MAC))
        db.execute(
            "INSERT INTO phone_template"
            " (vendor, model, file_kind, body, updated_at, updated_by)"
            " VALUES ('grandstream', ?, 'mac', '{{ built_in }}',"
            " '2026-01-01 00:00:00', 'admin')",
            (UNLISTED,),
        )
    image = tmp_path / "gxp1405fw.bin"
    image.write_bytes(b"a sample firmware image")

    def cli(*args: str, stdin: str | None = None):
        return pbx_data.cli("phone", *args, stdin=stdin)

    shown = cli("template", "show", "grandstream", UNLISTED)
    changed = cli("template", "set", "grandstream", UNLISTED, "-", stdin=GS_ADDED)
    served = cli("file", f"cfg{GS_MAC}.xml").stdout
    upload = ("grandstream", UNLISTED, "1.0.4.140", str(image), "--target")
    uploaded = cli("firmware", "upload", *upload)
    untargeted = cli("firmware", "target", "grandstream", UNLISTED, "none")
    removed = cli("firmware", "remove", "grandstream", UNLISTED, "1.0.4.140")
    reset = cli("template", "reset", "grandstream", UNLISTED)
    new_phone = pbx_data.add_phone(
        "000b82aabbcd", "101", vendor="grandstream", model=UNLISTED
    )
    other = cli("template", "show", "grandstream", "GXP1999")

    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "{{ built_in }}"
    assert changed.returncode == 0, changed.stderr
    assert "<!-- edited -->" in served
    assert "<P35>101</P35>" in served
    assert uploaded.returncode == 0, uploaded.stderr
    assert untargeted.returncode == 0, untargeted.stderr
    assert removed.returncode == 0, removed.stderr
    assert reset.returncode == 0, reset.stderr
    # A new phone, and a model nothing is stored under, keep to the list.
    assert new_phone.returncode == 2
    assert "model" in new_phone.stderr and UNLISTED in new_phone.stderr
    assert "GXP2170" in new_phone.stderr
    assert other.returncode == 2
    assert "GXP1999" in other.stderr
