"""The Buildroot tree holds together: its scripts pass shellcheck, every
package is reachable from the menu, and its boot files say what the
firmware updater expects."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from agent.firmware import bootstate

TOP = Path(__file__).resolve().parents[1]
TREE = TOP / "buildroot-config"
BOARD = TREE / "board" / "edgepbx" / "rpi"


def shell_scripts() -> list[Path]:
    """Every file under buildroot-config/, image/ and rootfs/ run by a shell."""
    found = []
    for base in (TREE, TOP / "image", TOP / "rootfs"):
        for path in sorted(base.rglob("*")) if base.is_dir() else []:
            if not path.is_file():
                continue
            with path.open("rb") as f:
                first = f.readline()
            if re.match(rb"#!\s*/(usr/)?bin/(env )?(ba)?sh\b", first):
                found.append(path)
    return found


def test_every_shell_script_passes_shellcheck():
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is missing: make deps installs it")
    scripts = shell_scripts()
    assert BOARD / "post-build.sh" in scripts
    assert BOARD / "post-image.sh" in scripts
    assert BOARD / "initramfs" / "init" in scripts
    result = subprocess.run(
        ["shellcheck", "--severity=style", *map(str, scripts)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


def test_the_tree_names_itself_and_every_package_is_in_the_menu():
    desc = (TREE / "external.desc").read_text()
    assert re.search(r"^name: EDGEPBX$", desc, re.M)
    menu = (TREE / "Config.in").read_text()
    packages = sorted(p.name for p in (TREE / "package").iterdir() if p.is_dir())
    assert {"kamailio", "rtpengine", "python-peewee", "python-pjsua2"} <= set(packages)
    for name in packages:
        assert f'"$BR2_EXTERNAL_EDGEPBX_PATH/package/{name}/Config.in"' in menu
        makefile = (TREE / "package" / name / f"{name}.mk").read_text()
        variable = name.upper().replace("-", "_")
        assert f"{variable}_VERSION" in makefile
        assert re.search(r"\$\(eval \$\((generic|python)-package\)\)", makefile)
        config = (TREE / "package" / name / "Config.in").read_text()
        assert f"config BR2_PACKAGE_{variable}\n" in config


def test_each_defconfig_names_files_that_exist_in_the_tree():
    configs = sorted((TREE / "configs").glob("*_defconfig"))
    assert [c.name for c in configs] == [
        "edgepbx_rpi4_64_defconfig",
        "edgepbx_rpi5_64_defconfig",
    ]
    for config in configs:
        text = config.read_text()
        assert "BR2_aarch64=y" in text
        assert "BR2_PACKAGE_EDGEPBX=y" in text
        for relative in re.findall(r"\$\(BR2_EXTERNAL_EDGEPBX_PATH\)/([^\" ]+)", text):
            assert (TREE / relative).exists(), f"{config.name}: {relative}"


def test_autoboot_is_what_the_updater_reads_and_the_card_has_four_partitions():
    autoboot = bootstate.Autoboot.parse((BOARD / "autoboot.txt").read_text())
    assert (autoboot.default_partition, autoboot.tryboot_partition) == (2, 3)
    card = (BOARD / "genimage.cfg").read_text()
    partitions = re.findall(r"^\s*partition (\S+) \{", card, re.M)
    assert partitions == ["boot", "slot-a", "slot-b", "data"]
    assert "kernel=Image" in (BOARD / "config.txt").read_text()
    assert (BOARD / "cmdline.txt").read_text()[-1] == "\n"
    assert (BOARD / "cmdline.txt").read_text().count("\n") == 1
