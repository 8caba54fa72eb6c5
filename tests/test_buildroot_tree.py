"""The Buildroot tree holds together: its scripts pass shellcheck, every
package is reachable from the menu, the image carries every Python package
the agent imports, its pjsua2 is built from the venv's source with the
venv's limits, and its boot files say what the firmware updater expects."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from agent.firmware import bootstate

TOP = Path(__file__).resolve().parents[1]
TREE = TOP / "buildroot-config"
BOARD = TREE / "board" / "edgepbx" / "rpi"
EDGEPBX = TREE / "package" / "edgepbx"

# The Buildroot package that installs each Python package the image needs,
# by its PyPI name: pyproject.toml's run-time dependencies, and what the
# packages this tree builds itself need in turn (requirements.lock's "via").
BUILDROOT_PACKAGE_OF = {
    "bottle": "python-bottle",
    "cryptography": "python-cryptography",
    "defusedxml": "python-defusedxml",
    "fonttools": "python-fonttools",
    "fpdf2": "python-fpdf2",
    "gunicorn": "python-gunicorn",
    "idna": "python-idna",
    "jinja2": "python-jinja2",
    "peewee": "python-peewee",
    "pillow": "python-pillow",
    "pyroute2": "python-pyroute2",
    "pyserial": "python-serial",
}

# Those of the packages above that Buildroot (2024.02 and later) ships; the
# others are in this tree's package/.
IN_BUILDROOT = {
    "python-bottle",
    "python-cryptography",
    "python-defusedxml",
    "python-fonttools",
    "python-gunicorn",
    "python-idna",
    "python-jinja2",
    "python-pillow",
    "python-pyroute2",
    "python-serial",
}

# Modules of Python's own library that Buildroot's python3 leaves out unless
# its option is on.
PYTHON3_OPTION_OF_MODULE = {
    "bz2": "BR2_PACKAGE_PYTHON3_BZIP2",
    "curses": "BR2_PACKAGE_PYTHON3_CURSES",
    "lzma": "BR2_PACKAGE_PYTHON3_XZ",
    "pyexpat": "BR2_PACKAGE_PYTHON3_PYEXPAT",
    "readline": "BR2_PACKAGE_PYTHON3_READLINE",
    "sqlite3": "BR2_PACKAGE_PYTHON3_SQLITE",
    "ssl": "BR2_PACKAGE_PYTHON3_SSL",
    "unicodedata": "BR2_PACKAGE_PYTHON3_UNICODEDATA",
    "xml": "BR2_PACKAGE_PYTHON3_PYEXPAT",
    "zlib": "BR2_PACKAGE_PYTHON3_ZLIB",
}

# Modules that do not come from a PyPI dependency: one that a program other
# than Python puts in place at run time, and pjsua2, built from pjproject's
# source (scripts/build-pjsua2 here, package/python-pjsua2 in Buildroot).
PROVIDED_BY = {
    "KSR": "BR2_PACKAGE_KAMAILIO",  # Kamailio's app_python3
    "pjsua2": "BR2_PACKAGE_PYTHON_PJSUA2",
}

OWN_PACKAGES = ("agent", "webadmin", "provisioning_server")


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
    assert {
        "kamailio",
        "rtpengine",
        "python-fpdf2",
        "python-peewee",
        "python-pjsua2",
    } <= set(packages)
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
        # zoneinfo finds no zone without it (tzdata has no prompt of its own).
        assert "BR2_TARGET_TZ_INFO=y" in text, f"{config.name}: no time zones"
        for relative in re.findall(r"\$\(BR2_EXTERNAL_EDGEPBX_PATH\)/([^\" ]+)", text):
            assert (TREE / relative).exists(), f"{config.name}: {relative}"


def test_autoboot_is_what_the_updater_reads_and_the_card_has_four_partitions():
    autoboot = bootstate.parse_autoboot((BOARD / "autoboot.txt").read_text())
    assert (autoboot.default_partition, autoboot.trial_partition) == (2, 3)
    card = (BOARD / "genimage.cfg").read_text()
    partitions = re.findall(r"^\s*partition (\S+) \{", card, re.M)
    assert partitions == ["boot", "slot-a", "slot-b", "data"]
    assert "kernel=Image" in (BOARD / "config.txt").read_text()
    assert (BOARD / "cmdline.txt").read_text()[-1] == "\n"
    assert (BOARD / "cmdline.txt").read_text().count("\n") == 1


def option_of(package: str) -> str:
    """The Kconfig symbol of a Buildroot package: python-fpdf2 is
    BR2_PACKAGE_PYTHON_FPDF2."""
    return "BR2_PACKAGE_" + package.upper().replace("-", "_")


def selected_by(config_in: Path) -> set[str]:
    return set(re.findall(r"^\s*select (BR2_\w+)", config_in.read_text(), re.M))


def make_variable(makefile: Path, name: str) -> str:
    """A variable's value in a package's .mk, continuation lines joined."""
    text = makefile.read_text().replace("\\\n", " ")
    found = re.search(rf"^{name}\s*\+?=\s*(.*)$", text, re.M)
    assert found, f"{makefile.name}: no {name}"
    return " ".join(found.group(1).split())


def pypi_name(requirement: str) -> str:
    """A requirement's project name as PyPI compares them (PEP 503)."""
    name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement).group(0)
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_dependencies() -> list[str]:
    project = tomllib.loads((TOP / "pyproject.toml").read_text())["project"]
    return [pypi_name(r) for r in project["dependencies"]]


def locked_releases() -> dict[str, tuple[str, set[str], set[str]]]:
    """requirements.lock as {name: (version, sha256 hashes, needed by)}."""
    releases: dict[str, tuple[str, set[str], set[str]]] = {}
    current = None
    for line in (TOP / "requirements.lock").read_text().splitlines():
        pinned = re.match(r"([A-Za-z0-9._-]+)==(\S+)", line)
        if pinned:
            current = pypi_name(pinned.group(1))
            releases[current] = (pinned.group(2), set(), set())
            continue
        if not line.strip():
            current = None  # a blank line ends the pinned packages
        if current is None:
            continue
        digest = re.search(r"--hash=sha256:([0-9a-f]{64})", line)
        if digest:
            releases[current][1].add(digest.group(1))
            continue
        via = re.match(r"\s*#\s+(?:via\s+)?([A-Za-z0-9._-]+)", line)
        if via and via.group(1) != "via":
            releases[current][2].add(pypi_name(via.group(1)))
    return releases


def test_every_runtime_dependency_is_selected_by_the_edgepbx_package():
    selected = selected_by(EDGEPBX / "Config.in")
    built_first = make_variable(EDGEPBX / "edgepbx.mk", "EDGEPBX_DEPENDENCIES").split()
    in_tree = {p.name for p in (TREE / "package").iterdir() if p.is_dir()}
    gaps = []
    for name in runtime_dependencies():
        package = BUILDROOT_PACKAGE_OF.get(name)
        if package is None:
            gaps.append(f"{name}: no Buildroot package named for it")
            continue
        if (package in in_tree) == (package in IN_BUILDROOT):
            where = "both" if package in in_tree else "neither"
            gaps.append(f"{name}: {package} is in {where} of package/ and Buildroot")
        if option_of(package) not in selected:
            gaps.append(
                f"{name}: package/edgepbx/Config.in does not select "
                f"{option_of(package)}"
            )
        if package not in built_first:
            gaps.append(f"{name}: EDGEPBX_DEPENDENCIES lacks {package}")
    assert not gaps, "the image lacks run-time dependencies:\n" + "\n".join(gaps)


def imports_of_the_agent() -> dict[str, str]:
    """Every module the agent, web admin and provisioning server import by
    absolute name, with one file that imports it."""
    found: dict[str, str] = {}
    for base in OWN_PACKAGES:
        for path in sorted((TOP / base).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    # Kamailio's KEMI scripts import the modules beside them.
                    if (path.parent / f"{top}.py").is_file():
                        continue
                    found.setdefault(top, str(path.relative_to(TOP)))
    return found


def test_every_module_the_agent_imports_is_on_the_image():
    selected = selected_by(EDGEPBX / "Config.in")
    dependencies = set(runtime_dependencies())
    distributions = importlib.metadata.packages_distributions()
    gaps = []
    for module, where in sorted(imports_of_the_agent().items()):
        if module in OWN_PACKAGES:
            continue
        if module in PROVIDED_BY:
            option = PROVIDED_BY[module]
        elif module in sys.stdlib_module_names:
            option = PYTHON3_OPTION_OF_MODULE.get(module)
            if option is None:
                continue
        else:
            names = {pypi_name(d) for d in distributions.get(module, [])}
            if not names & dependencies:
                gaps.append(
                    f"{module} ({where}): not from a dependency in pyproject.toml"
                )
            continue
        if option not in selected:
            gaps.append(
                f"{module} ({where}): package/edgepbx/Config.in does not "
                f"select {option}"
            )
    assert not gaps, "imports the image cannot satisfy:\n" + "\n".join(gaps)


def test_python_packages_of_the_tree_build_the_locked_release():
    releases = locked_releases()
    pypi_of = {package: name for name, package in BUILDROOT_PACKAGE_OF.items()}
    checked = []
    for folder in sorted((TREE / "package").glob("python-*")):
        package = folder.name
        makefile = folder / f"{package}.mk"
        variable = package.upper().replace("-", "_")
        if "files.pythonhosted.org" not in make_variable(makefile, f"{variable}_SITE"):
            continue
        name = pypi_of.get(package)
        assert name in releases, f"{package}: no release of it in requirements.lock"
        version, digests, _ = releases[name]
        assert make_variable(makefile, f"{variable}_VERSION") == version, (
            f"{package}: not the release of {name} in requirements.lock ({version})"
        )

        # The .hash holds the sdist's sha256 as the lock pins it, and the
        # license files' (Buildroot checks both).
        source = make_variable(makefile, f"{variable}_SOURCE").replace(
            f"$({variable}_VERSION)", version
        )
        assert source.endswith(".tar.gz"), f"{package}: {source} is not an sdist"
        hash_file = folder / f"{package}.hash"
        assert hash_file.is_file(), f"{package}: no {hash_file.name}"
        hashes = dict(
            reversed(line.split()[1:3])
            for line in hash_file.read_text().splitlines()
            if line.startswith("sha256 ")
        )
        assert hashes.get(source) in digests, (
            f"{package}.hash: no sha256 of {source} that requirements.lock pins"
        )
        for license_file in make_variable(
            makefile, f"{variable}_LICENSE_FILES"
        ).split():
            assert license_file in hashes, (
                f"{package}.hash: no sha256 of {license_file}"
            )

        # What the lock installs for this package, the package selects.
        selected = selected_by(folder / "Config.in")
        for needed, (_, _, needed_by) in releases.items():
            if name in needed_by:
                assert needed in BUILDROOT_PACKAGE_OF, (
                    f"{package}: no Buildroot package named for {needed}"
                )
                assert option_of(BUILDROOT_PACKAGE_OF[needed]) in selected, (
                    f"{package}/Config.in does not select "
                    f"{option_of(BUILDROOT_PACKAGE_OF[needed])} ({needed} via {name})"
                )
        checked.append(package)
    assert checked == ["python-fpdf2", "python-peewee"]


BUILD_PJSUA2 = TOP / "scripts" / "build-pjsua2"
PJSUA2 = TREE / "package" / "python-pjsua2"

# What stands in on the Pi for each package the venv's pjsua2 build takes from
# Debian (debian-packages.txt): the Buildroot package built first, and the
# option that brings it (None for a host tool). Debian's compilers are
# Buildroot's cross toolchain.
BUILDROOT_BUILD_DEPENDENCY_OF = {
    "build-essential": None,
    "swig": ("host-swig", None),
    "libspeex-dev": ("speex", "BR2_PACKAGE_SPEEX"),
    "libspeexdsp-dev": ("speexdsp", "BR2_PACKAGE_SPEEXDSP"),
    "libgsm1-dev": ("libgsm", "BR2_PACKAGE_LIBGSM"),
    "libssl-dev": ("openssl", "BR2_PACKAGE_OPENSSL"),
    "libsrtp2-dev": ("libsrtp", "BR2_PACKAGE_LIBSRTP"),
    "uuid-dev": ("util-linux", "BR2_PACKAGE_UTIL_LINUX_LIBUUID"),
}


def shell_variable(script: Path, name: str) -> str:
    found = re.search(rf"^{name}=(\S+)$", script.read_text(), re.M)
    assert found, f"{script.name}: no {name}"
    return found.group(1)


def debian_packages_for_pjsua2() -> list[str]:
    """The block of debian-packages.txt that scripts/build-pjsua2 needs."""
    lines = (TOP / "debian-packages.txt").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if "(scripts/build-pjsua2)" in line)
    packages = []
    for line in lines[start:]:
        if not line.strip():
            break
        if not line.startswith("#"):
            packages.append(line.split("#")[0].strip())
    return packages


def script_output(*arguments: str) -> str:
    return subprocess.run(
        [str(BUILD_PJSUA2), *arguments], capture_output=True, text=True, check=True
    ).stdout


def make_define(makefile: Path, name: str) -> str:
    """A multi-line variable's body in a package's .mk."""
    text = makefile.read_text().replace("\\\n", " ")
    found = re.search(rf"^define {name}$(.*?)^endef$", text, re.M | re.S)
    assert found, f"{makefile.name}: no {name}"
    return found.group(1)


def test_the_pi_builds_pjsua2_from_the_tarball_the_venv_pins():
    makefile = PJSUA2 / "python-pjsua2.mk"
    version = make_variable(makefile, "PYTHON_PJSUA2_VERSION")
    assert version == shell_variable(BUILD_PJSUA2, "PJ_COMMIT")
    site = make_variable(makefile, "PYTHON_PJSUA2_SITE")
    source = make_variable(makefile, "PYTHON_PJSUA2_SOURCE")
    assert f"{site}/{source}" == shell_variable(BUILD_PJSUA2, "TARBALL_URL")

    # Buildroot checks the download and the license file against the .hash.
    hashes = dict(
        reversed(line.split()[1:3])
        for line in (PJSUA2 / "python-pjsua2.hash").read_text().splitlines()
        if line.startswith("sha256 ")
    )
    assert hashes.get(source) == shell_variable(BUILD_PJSUA2, "TARBALL_SHA256")
    for license_file in make_variable(makefile, "PYTHON_PJSUA2_LICENSE_FILES").split():
        assert license_file in hashes, f"python-pjsua2.hash: no {license_file}"

    # Only the pjproject tree comes out of it, as the script takes it.
    tree = make_variable(makefile, "PYTHON_PJSUA2_TREE").replace(
        "$(PYTHON_PJSUA2_VERSION)", version
    )
    pj_path = shell_variable(BUILD_PJSUA2, "PJ_PATH")
    assert tree == pj_path.replace("$PJ_COMMIT", version)
    extract = make_define(makefile, "PYTHON_PJSUA2_EXTRACT_CMDS")
    assert f"--strip-components={tree.count('/') + 1}" in extract
    assert "$(PYTHON_PJSUA2_TREE)" in extract


def test_the_pi_compiles_pjsua2_with_the_venvs_limits_into_the_module():
    makefile = PJSUA2 / "python-pjsua2.mk"
    assert (
        make_variable(makefile, "PYTHON_PJSUA2_BUILD_SCRIPT")
        == "$(BR2_EXTERNAL_EDGEPBX_PATH)/../scripts/build-pjsua2"
    )
    configure = make_define(makefile, "PYTHON_PJSUA2_CONFIGURE_CMDS")
    assert (
        "$(PYTHON_PJSUA2_BUILD_SCRIPT) --config-site "
        ">$(@D)/pjlib/include/pj/config_site.h"
    ) in " ".join(configure.split())
    assert "$$($(PYTHON_PJSUA2_BUILD_SCRIPT) --configure-options)" in configure

    # What the script prints is the venv's: its limit and its options.
    calls = re.search(
        r"^CALLS_PER_WORKER = (\d+)$",
        (TOP / "agent" / "media" / "pool.py").read_text(),
        re.M,
    ).group(1)
    assert f"#define PJSUA_MAX_CALLS {calls}\n" in script_output("--config-site")
    options = script_output("--configure-options").split()
    assert {"--with-external-srtp", "--enable-epoll", "--disable-video"} <= set(options)

    # Static libraries with -fPIC, linked into _pjsua2.so; Buildroot's libpjsip
    # (pjproject's default limits, as shared libraries) is on no image.
    assert "--disable-shared" in configure and "-fPIC" in configure
    assert "--enable-shared" not in makefile.read_text()
    assert "libpjsip" not in make_variable(makefile, "PYTHON_PJSUA2_DEPENDENCIES")
    for path in [PJSUA2 / "Config.in", *sorted((TREE / "configs").glob("*"))]:
        assert "LIBPJSIP" not in path.read_text(), f"{path.name} brings in libpjsip"


def test_the_pis_pjsua2_has_a_buildroot_package_for_each_debian_library():
    packages = debian_packages_for_pjsua2()
    assert {"swig", "libgsm1-dev", "libsrtp2-dev"} <= set(packages)
    built_first = make_variable(
        PJSUA2 / "python-pjsua2.mk", "PYTHON_PJSUA2_DEPENDENCIES"
    ).split()
    selected = selected_by(PJSUA2 / "Config.in")
    gaps = []
    for package in packages:
        if package not in BUILDROOT_BUILD_DEPENDENCY_OF:
            gaps.append(f"{package}: no Buildroot package named for it")
            continue
        if BUILDROOT_BUILD_DEPENDENCY_OF[package] is None:
            continue
        name, option = BUILDROOT_BUILD_DEPENDENCY_OF[package]
        if name not in built_first:
            gaps.append(f"{package}: PYTHON_PJSUA2_DEPENDENCIES lacks {name}")
        if option is not None and option not in selected:
            gaps.append(f"{package}: python-pjsua2/Config.in does not select {option}")
    assert not gaps, "the Pi's pjsua2 lacks what the venv's has:\n" + "\n".join(gaps)


def enabled_by_image_setup() -> list[str]:
    """The units image/overlay/usr/lib/edgepbx/image-setup enables."""
    setup = TOP / "image" / "overlay" / "usr" / "lib" / "edgepbx" / "image-setup"
    text = setup.read_text().replace("\\\n", " ")
    found = re.search(r"^systemctl enable (.+)$", text, re.MULTILINE)
    assert found, "image-setup enables no units"
    return found.group(1).split()


def test_post_build_enables_the_units_of_the_x86_image_through_a_preset(tmp_path):
    if shutil.which("systemctl") is None:
        pytest.fail("systemctl is missing: it makes the links as Buildroot's does")
    target = tmp_path / "target"
    shutil.copytree(TOP / "rootfs" / "etc" / "systemd", target / "etc" / "systemd")
    # systemd's own last preset turns off whatever no earlier file enables.
    presets = target / "usr" / "lib" / "systemd" / "system-preset"
    presets.mkdir(parents=True)
    (presets / "99-default.preset").write_text("disable *\n")
    config = tmp_path / ".config"
    config.write_text('BR2_INIT_SYSTEMD=y\nBR2_TARGET_GENERIC_GETTY_PORT="ttyAMA10"\n')
    subprocess.run(
        ["sh", str(BOARD / "post-build.sh"), str(target), "rpi5"],
        env={"PATH": "/usr/bin:/bin", "BR2_CONFIG": str(config)},
        check=True,
    )
    # What Buildroot's systemd package does after the post-build scripts.
    subprocess.run(
        ["systemctl", f"--root={target}", "preset-all"],
        check=True,
        capture_output=True,
    )
    system = target / "etc" / "systemd" / "system"
    wanted = sorted(
        link.name for link in system.glob("*.target.wants/*") if link.is_symlink()
    )
    # image-setup is given the serial console's tty ("$serial").
    expected = sorted(
        unit.strip('"').replace("@$serial", "@ttyAMA10")
        for unit in enabled_by_image_setup()
    )
    assert wanted == expected
    # The recovery console has the serial port; Buildroot's getty does not.
    getty = system / "serial-getty@ttyAMA10.service"
    assert getty.is_symlink() and str(getty.readlink()) == "/dev/null"
