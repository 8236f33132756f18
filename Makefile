# hvlab developer commands. `make run` and `make test` work from a fresh clone.
# See docs/development.md for how the tests are organised.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
ENGINE_VENV := .venv-engine
PIP_INSTALL = -m pip install --quiet
ARGS ?=
# Options (not paths) for both pytest runs of `make test`, e.g. PYTEST_ARGS="-x -k vhd".
PYTEST_ARGS ?=
# pytest-xdist workers for both runs ("auto": one per core; 0 runs in one process, which
# `-x` and debugging want).
PYTEST_WORKERS ?= auto
PYTEST_RUN = -n $(PYTEST_WORKERS) $(PYTEST_ARGS)
# pytest exits 5 when it ran no test. That fails `make test`, except when PYTEST_ARGS
# narrowed the selection so that one of the two runs has nothing to run.
RUN_MAY_BE_EMPTY := $(if $(strip $(PYTEST_ARGS)),true,false)

# Debian packages the tests need: Xvfb/xauth/xcb-cursor/AT-SPI/D-Bus to drive the real app
# from outside (e2e), qemu-img and libvhdi's tools as oracles for the VHD files we write.
# desktop-file-utils and appstream validate packaging/; bash, zsh and fish load hvctl's
# completion scripts in tests/packaging.
SYSTEM_PACKAGES := xvfb xauth libxcb-cursor0 at-spi2-core dbus-x11 qemu-utils libvhdi-utils \
	python3-libvhdi python3-pyatspi libxcb-icccm4 libxcb-keysyms1 \
	desktop-file-utils appstream zsh fish

# Packages kept out of the engine venv, so its test run proves the engine needs none of them.
ENGINE_VENV_EXCLUDES := pyside6 pyside6-essentials pyside6-addons shiboken6 pyqtgraph \
	pytest-qt ruff mypy import-linter grimp argparse-manpage build twine pipx

# Re-install when the project definition changes, or when a top-level package appears after
# the install (the editable install maps only the packages it found at install time).
INSTALL_INPUTS := pyproject.toml setup.py \
	$(wildcard engine/__init__.py gui/__init__.py hvctl/__init__.py resources/__init__.py)

RUFF_PATHS := engine gui hvctl tests packaging setup.py
IMPORT_VIEW := build/import-view

RUN_STAMP := $(VENV)/.hvlab-run-installed
TEST_STAMP := $(VENV)/.hvlab-test-installed
ENGINE_STAMP := $(ENGINE_VENV)/.hvlab-engine-installed
BUNDLE_STAMP := $(VENV)/.hvlab-bundle-installed

.PHONY: help run test lint dist-check bundle manpages icons bench system-packages venvs clean

help:
	@echo "make run    start hvlab on the default library (ARGS='--library DIR ...' passed on)"
	@echo "make test   install what is missing, then lint, type-check and run every test"
	@echo "make lint   ruff, mypy and the import contracts only"
	@echo "make dist-check  build the sdist and wheel, install it with pipx outside the"
	@echo "            checkout, run hvctl and the console from it, validate packaging/"
	@echo "make bundle the one-folder PyInstaller bundle in dist/hvlab (not part of make test)"
	@echo "make manpages / make icons  regenerate packaging/man and packaging/icons"
	@echo "make bench  run every tests/bench/*.py and print its figures"
	@echo "make clean  remove both venvs and caches"

# Bytecode is compiled first (a no-op when it is up to date), as a pip install of a wheel
# would: an editable install leaves it to the first start, and a machine that sets
# PYTHONDONTWRITEBYTECODE would then compile every module on every start (~0.08 s of the
# 0.5 s first-paint budget; docs/performance.md).
run: $(RUN_STAMP)
	@$(VENV)/bin/python -m compileall -q engine gui hvctl
	$(VENV)/bin/hvlab $(ARGS)

# The engine suite runs once, in the venv without Qt: that run is what proves the engine needs
# no GUI package. The second run takes everything else (GUI, e2e) in the full venv.
# The two venvs are built side by side, then lint and dist-check run side by side: each is
# one process waiting on pip or on one core, so on a 2-core machine the pairs cost the
# longer of the two instead of their sum. --output-sync keeps each one's output together.
test: system-packages
	@$(MAKE) -j2 --output-sync=target venvs
	@$(MAKE) -j2 --output-sync=target lint dist-check
	@# Bytecode first, as for `make run`: where PYTHONDONTWRITEBYTECODE is set (CI machines
	@# often set it) every hvctl process the e2e tests start would otherwise compile the
	@# ~250 modules it loads again (0.3 s of each 0.7 s start on this machine).
	@$(VENV)/bin/python -m compileall -q engine gui hvctl tests
	@echo "== engine tests, in $(ENGINE_VENV) (no Qt installed)"
	HVLAB_EXPECT_NO_QT=1 $(ENGINE_VENV)/bin/python -m pytest tests/engine $(PYTEST_RUN) \
		|| { rc=$$?; [ $$rc -eq 5 ] && $(RUN_MAY_BE_EMPTY) || exit $$rc; }
	@echo "== GUI and end-to-end tests, in $(VENV)"
	$(VENV)/bin/python -m pytest --ignore=tests/engine $(PYTEST_RUN) \
		|| { rc=$$?; [ $$rc -eq 5 ] && $(RUN_MAY_BE_EMPTY) || exit $$rc; }

# Every tool runs even when one fails, so one run reports every problem. mypy reads the
# packages through IMPORT_VIEW, symlinks that lay the folders out under their import names
# (it cannot follow the editable install's import hook; docs/development.md).
lint: $(TEST_STAMP)
	@status=0; \
	echo "ruff check $(RUFF_PATHS)"; $(VENV)/bin/ruff check $(RUFF_PATHS) || status=1; \
	packages=$$($(VENV)/bin/python packaging/import_view.py $(IMPORT_VIEW)); \
	echo "mypy $$packages (through $(IMPORT_VIEW))"; \
	MYPYPATH=$(IMPORT_VIEW) $(VENV)/bin/mypy $$(printf -- '-p %s ' $$packages) || status=1; \
	echo "lint-imports (the layers in pyproject.toml)"; $(VENV)/bin/lint-imports --no-cache \
		|| status=1; \
	exit $$status

# The distribution as a user gets it (packaging/dist_check.py says what is checked).
dist-check: $(TEST_STAMP)
	@echo "== dist-check (packaging/dist_check.py)"
	$(VENV)/bin/python packaging/dist_check.py

# dist/hvlab/: hvlab and hvctl with Python and every library they need, for machines without
# Python packages. Slower than the other targets, so not part of `make test`.
bundle: $(BUNDLE_STAMP)
	rm -rf build/pyinstaller dist/hvlab
	$(VENV)/bin/pyinstaller --noconfirm --clean --workpath build/pyinstaller --distpath dist \
		packaging/hvlab.spec
	@du -sh dist/hvlab

manpages: $(TEST_STAMP)
	$(VENV)/bin/python packaging/manpages.py

icons: $(RUN_STAMP)
	$(VENV)/bin/python packaging/render_icons.py

bench: $(RUN_STAMP)
	@shopt -s nullglob; scripts=(tests/bench/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "no benchmarks in tests/bench"; exit 0; fi; \
	for script in "$${scripts[@]}"; do \
		echo "== $$script"; $(VENV)/bin/python "$$script"; \
	done

venvs: $(TEST_STAMP) $(ENGINE_STAMP)

# Outside CI a missing package is a warning (the GUI and engine tests still run without
# them); in CI (CI=true) it is an error, so CI never passes on a half-equipped machine.
system-packages:
	@missing=(); \
	for pkg in $(SYSTEM_PACKAGES); do \
		dpkg -s "$$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$$pkg"); \
	done; \
	[ $${#missing[@]} -eq 0 ] && exit 0; \
	echo "== installing system packages: $${missing[*]}"; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"$${missing[@]}" >/dev/null; then \
		exit 0; \
	fi; \
	msg="could not install system packages: $${missing[*]} (apt-get as root is needed; see any apt-get message above)"; \
	if [ "$${CI:-}" = true ]; then echo "error: $$msg" >&2; exit 1; fi; \
	echo "warning: $$msg; tests that need them will fail or skip" >&2

$(RUN_STAMP): $(INSTALL_INPUTS)
	@[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python $(PIP_INSTALL) -e .
	@touch $@

$(TEST_STAMP): $(INSTALL_INPUTS)
	@[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python $(PIP_INSTALL) -e '.[test]'
	@touch $@ $(RUN_STAMP)

$(BUNDLE_STAMP): $(TEST_STAMP)
	$(VENV)/bin/python $(PIP_INSTALL) -e '.[test,bundle]'
	@touch $@

# Runtime and test requirements from pyproject.toml minus ENGINE_VENV_EXCLUDES, then the
# project itself without dependencies.
$(ENGINE_STAMP): $(INSTALL_INPUTS)
	@[ -x $(ENGINE_VENV)/bin/python ] || $(PYTHON) -m venv $(ENGINE_VENV)
	@echo "writing $(ENGINE_VENV)/requirements.txt (pyproject.toml minus the Qt stack)"
	@$(ENGINE_VENV)/bin/python -c 'import re, sys, tomllib; \
		project = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
		wanted = project["dependencies"] + project["optional-dependencies"]["test"]; \
		print("\n".join(r for r in wanted \
			if re.match(r"[A-Za-z0-9._-]+", r)[0].lower() not in sys.argv[1:]))' \
		$(ENGINE_VENV_EXCLUDES) > $(ENGINE_VENV)/requirements.txt
	$(ENGINE_VENV)/bin/python $(PIP_INSTALL) -r $(ENGINE_VENV)/requirements.txt
	$(ENGINE_VENV)/bin/python $(PIP_INSTALL) --no-deps -e .
	@touch $@

clean:
	rm -rf $(VENV) $(ENGINE_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist
	find engine gui hvctl resources tests packaging -name __pycache__ -type d -prune \
		-exec rm -rf {} +
