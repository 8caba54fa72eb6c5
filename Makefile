# edgepbx: `make run` runs the appliance here, `make test` runs every test.
# Both install what is missing first: Debian packages from
# debian-packages.txt and a venv with the pinned Python packages.

PYTHON ?= python3
VENV := .venv
VENV_PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PJSUA2_STAMP := $(VENV)/.pjsua2-installed
DEB_STAMP := .deps-installed
BROWSER_DIR := tests/browser
BROWSER_STAMP := $(BROWSER_DIR)/node_modules/.installed

.PHONY: run test deps venv browser-deps dev-keys lint format lock bench clean help

help:
	@echo "make run    install what is missing, then run the appliance (Ctrl-C stops)"
	@echo "make test   install what is missing, then run the whole test suite"
	@echo "make lint   ruff check and format check"
	@echo "make bench  SIP, firmware and backup benchmarks (figures printed, not asserted)"
	@echo "make dev-keys  the development firmware signing key pair (not in git)"
	@echo "make image  the x86-64 disk image from Debian packages (build/image/)"
	@echo "make image ARCH=arm64  the arm64 one, under emulation (build/image-arm64/)"
	@echo "make image-test [ARCH=arm64]  boot that image in qemu: web admin, SIP, a phone registers"
	@echo "make image-update-test  the same, then an A/B update and a rollback in qemu"

# The project is installed editable, so its bytecode is written only if
# Python may write it; compiling here spares every daemon the compile.
run: deps venv dev-keys
	$(VENV_PY) -m compileall -q agent webadmin provisioning_server >/dev/null
	$(VENV)/bin/edgepbx run

test: deps venv browser-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

deps: $(DEB_STAMP)

# Installs only the packages that are missing; re-runs when the list changes.
$(DEB_STAMP): debian-packages.txt scripts/install-debian-packages
	scripts/install-debian-packages debian-packages.txt
	@touch $@

venv: $(STAMP) $(PJSUA2_STAMP)

# Playwright (npm playwright-core, pinned by package-lock.json) drives
# Debian's chromium in tests/test_browser.py; it never downloads a browser.
# NodeSource's nodejs bundles npm; Debian's nodejs needs the npm package,
# installed only when no npm is on the PATH.
browser-deps: $(BROWSER_STAMP)

$(BROWSER_STAMP): $(BROWSER_DIR)/package.json $(BROWSER_DIR)/package-lock.json $(DEB_STAMP)
	command -v npm >/dev/null 2>&1 || \
		scripts/install-debian-packages $(BROWSER_DIR)/debian-packages.txt
	cd $(BROWSER_DIR) && npm ci --no-audit --no-fund
	@touch $@

# Built under a lock, so `make run` and `make test` started together in a
# fresh clone do not both build the same venv; the second finds it done.
$(STAMP): requirements.lock pyproject.toml
	flock $(VENV).lock $(MAKE) --no-print-directory venv-build

.PHONY: venv-build
venv-build:
	@if [ -f $(STAMP) ] && [ $(STAMP) -nt requirements.lock ] \
		&& [ $(STAMP) -nt pyproject.toml ]; then exit 0; fi; \
	set -e; \
	$(PYTHON) -m venv $(VENV); \
	$(VENV_PY) -m pip install --quiet --upgrade pip; \
	$(VENV_PY) -m pip install --quiet --require-hashes -r requirements.lock; \
	$(VENV_PY) -m pip install --quiet --no-deps -e .; \
	touch $(STAMP)

# pjsua2 is built from source, not taken from PyPI (scripts/build-pjsua2
# says why); the build is cached under build/pjsua2/, so this rebuilds only
# when the call limit in agent/media/pool.py or the recipe changed, and
# otherwise reinstalls the cached wheel.
$(PJSUA2_STAMP): scripts/build-pjsua2 agent/media/pool.py $(STAMP) $(DEB_STAMP)
	flock $(VENV).lock scripts/build-pjsua2 --install $(VENV_PY) >/dev/null
	@touch $@

# The development firmware signing pair, kept out of git (see
# rootfs/etc/edgepbx/firmware-keys/README.md); made once, then kept.
DEV_KEY := build/firmware-keys/development.key
dev-keys: $(DEV_KEY)

$(DEV_KEY): | $(STAMP)
	$(VENV_PY) scripts/firmware-dev-keys

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Re-pin every Python dependency (needs pip-tools in the venv).
lock: venv
	$(VENV_PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --generate-hashes --no-emit-index-url \
		--no-emit-find-links --extra test --strip-extras \
		-o requirements.lock pyproject.toml

bench: deps venv
	scripts/install-debian-packages scripts/bench/debian-packages.txt
	$(VENV_PY) scripts/bench/sip_register
	$(VENV_PY) scripts/bench/sip_calls
	$(VENV_PY) scripts/bench/firmware_write
	$(VENV_PY) scripts/bench/backup_restore
	$(VENV_PY) scripts/bench/tftp_storm
	$(VENV_PY) scripts/bench/http_prov
	$(VENV_PY) scripts/bench/ban_latency
	$(VENV_PY) scripts/bench/register_flood
	$(VENV_PY) scripts/bench/media_legs
	$(VENV_PY) scripts/bench/web_latency
	$(VENV_PY) scripts/bench/monitor_stream
	$(VENV_PY) scripts/bench/report_month

# The disk image (image/build-image) and its boot test in qemu, for x86-64
# (the default) or ARCH=arm64; not part of `make test`: they take minutes
# (arm64, all emulated, far longer) and need root for mmdebstrap.
ARCH ?= x86_64
ifeq ($(ARCH),x86_64)
IMAGE_DIR := build/image
else ifeq ($(ARCH),arm64)
IMAGE_DIR := build/image-arm64
else
$(error ARCH is x86_64 or arm64, not $(ARCH))
endif
IMAGE := $(IMAGE_DIR)/edgepbx-$(ARCH).img
.PHONY: image image-test image-update-test image-deps
# arm64 adds qemu-user for building, qemu-system-aarch64 and its UEFI
# firmware for booting, and binfmt_misc (image/check-binfmt mounts it when
# missing, saying so).
image-deps:
	scripts/install-debian-packages image/debian-packages.txt
ifeq ($(ARCH),arm64)
	scripts/install-debian-packages image/debian-packages-arm64.txt
	image/check-binfmt arm64
endif

image: deps venv dev-keys image-deps
	image/build-image --arch $(ARCH) $(IMAGE_DIR)

image-test: deps venv image-deps
	@test -f $(IMAGE) || $(MAKE) --no-print-directory image
	$(VENV_PY) image/boot-test --arch $(ARCH) $(IMAGE)

# The same boot, then an A/B update in qemu: a good release into slot B
# and kept, a broken one into slot A and rolled back (three more boots).
image-update-test: deps venv dev-keys image-deps
	@test -f $(IMAGE) || $(MAKE) --no-print-directory image
	$(VENV_PY) image/boot-test --arch $(ARCH) --firmware-update $(IMAGE)

clean:
	rm -rf $(VENV) $(VENV).lock $(DEB_STAMP) $(BROWSER_DIR)/node_modules .pytest_cache .ruff_cache
