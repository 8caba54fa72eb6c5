"""The README's commands do what it says they do, run as a newcomer would
run them: copied from its shell blocks, on a real appliance."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SHELL_BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def shell_block_with(text: str) -> str:
    """The README's one shell block that holds text."""
    blocks = [b for b in SHELL_BLOCK.findall(README.read_text()) if text in b]
    assert len(blocks) == 1, f"{len(blocks)} shell blocks hold {text!r}"
    return blocks[0]


def test_the_test_phone_imports_as_the_readme_says_from_another_directory():
    block = shell_block_with("tests.sipphone")

    # Started from elsewhere in the checkout: the block finds the root.
    done = subprocess.run(
        ["bash", "-e", "-c", block],
        cwd=ROOT / "docs",
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert "Error" not in done.stderr


def test_the_openapi_description_comes_with_the_token_the_readme_sends(pbx):
    block = shell_block_with("/api/v1/openapi.json")
    # The README's appliance is make run's: its certificate and port.
    block = block.replace("var/certs/web.crt", str(pbx.certificate))
    block = block.replace("127.0.0.1:8443", f"127.0.0.1:{pbx.https_port}")
    made = pbx.cli("token", "create", "--role", "operator", "--json")
    assert made.returncode == 0, made.stderr

    def fetched(token: str) -> dict:
        done = subprocess.run(
            ["bash", "-e", "-c", block],
            env={"PATH": "/usr/bin:/bin", "TOKEN": token},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert "/extensions" in fetched(made.json()["token"])["paths"]
    assert fetched("")["status"] == 401
