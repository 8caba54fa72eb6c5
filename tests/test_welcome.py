"""The banner ``make run`` prints once the appliance is up: what a newcomer
reads first, with a real appliance on its own data directory."""

from __future__ import annotations

import pytest

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.web.certificate import ensure_certificate
from agent.welcome import print_welcome
from tests.pbx import free_port
from tests.test_storage import settings_in


@pytest.fixture
def appliance(tmp_path):
    opened = Appliance.open(settings_in(tmp_path, free_port()))
    ensure_certificate(opened.settings)
    yield opened
    opened.close()


def test_the_start_banner_says_set_password_makes_a_new_one(appliance, capsys):
    # The banner of `make run` lists the extensions, then how to give one's
    # phones a new password: it must not read as showing the old one.
    appliance.extensions_as(CONSOLE).add("101", "Front desk")

    print_welcome(appliance, None)

    banner = capsys.readouterr().out
    assert "101  Front desk" in banner
    assert "New SIP password:" in banner
    assert "set-password NUMBER (signs its phones out)" in banner
    assert "A phone's password" not in banner
