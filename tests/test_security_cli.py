"""``edgepbx ban``, ``jail`` and ``firewall`` as scripts use them (no daemons)."""

from __future__ import annotations

ADDRESS = "192.0.2.77"


def test_ban_list_add_remove_keep_their_json_contract(pbx_data):
    added = pbx_data.cli("ban", "add", ADDRESS, "--seconds", "120", "--json")
    listed = pbx_data.cli("ban", "list", "--json").json()
    searched = pbx_data.cli("ban", "list", "192.0.2", "--json").json()
    missed = pbx_data.cli("ban", "list", "2001:db8", "--json").json()
    removed = pbx_data.cli("ban", "remove", ADDRESS, "--json")

    assert added.returncode == 0, added.stderr
    assert 0 < added.json()["expires_in_s"] <= 120
    assert [(b["address"], b["expires"]) for b in listed] == [
        (ADDRESS, added.json()["expires"])
    ]
    assert [b["address"] for b in searched] == [ADDRESS]
    assert missed == []
    assert removed.json() == {"lifted": ADDRESS}
    assert pbx_data.cli("ban", "list", "--json").json() == []


def test_refused_requests_exit_2_and_name_the_field(pbx_data):
    bad = pbx_data.cli("ban", "add", "999.1.1.1", "--json")
    absent = pbx_data.cli("ban", "remove", ADDRESS)
    jail = pbx_data.cli("jail", "set", "--maxretry", "0")
    assert bad.returncode == 2 and bad.json()["error"]["field"] == "address"
    assert absent.returncode == 2 and "not banned" in absent.stderr
    assert jail.returncode == 2 and "maxretry" in jail.stderr


def test_the_firewall_refuses_to_close_the_web_admin_to_everyone(pbx_data):
    assert (
        pbx_data.cli("firewall", "set", "web-http", "--state", "closed").returncode == 0
    )
    closed = pbx_data.cli("firewall", "set", "web-https", "--state", "closed")
    status = pbx_data.cli("firewall", "status", "--json").json()
    reset = pbx_data.cli("firewall", "reset", "--json")

    assert closed.returncode == 2 and "web admin" in closed.stderr
    web = {s["name"]: s["enabled"] for s in status["services"]}
    assert web["web-https"] is True and web["web-http"] is False
    assert status["managed"] is False  # a workstation's rules are left alone
    assert reset.returncode == 0 and reset.json()["web-http"]["enabled"] is True
