# Two commands for a fresh machine: `make run` and `make test`.
# Everything the app and its tests need is installed from here, never by hand.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Debian packages: Qt's runtime libraries, PostgreSQL (the suite starts a throwaway
# server), poppler-utils (PDF -> PNG for looking at sheets).
DEBIAN_RUN := libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libxcb-cursor0
DEBIAN_TEST := $(DEBIAN_RUN) postgresql poppler-utils

.PHONY: run test lint bench reliability screenshots system-run system-test clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Install only what is missing, and run apt-get update only when something is.
define apt_ensure
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  echo "Installing Debian packages:$$missing"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

system-run:
	$(call apt_ensure,$(DEBIAN_RUN))

system-test:
	$(call apt_ensure,$(DEBIAN_TEST))

run: system-run $(STAMP)
	$(PY) -m app

lint: $(STAMP)
	$(VENV)/bin/ruff check app grading widgets db resources tests bench
	$(VENV)/bin/mypy grading app db
	$(VENV)/bin/lint-imports
	$(PY) -m db.check_migrations

test: system-test $(STAMP) lint
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -p no:cacheprovider -q

bench: system-test $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m bench

reliability: system-test $(STAMP)
	QT_QPA_PLATFORM=offscreen CARWARD_RELIABILITY=full $(VENV)/bin/pytest -p no:cacheprovider -q tests/reliability

screenshots: system-run $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m app screenshot docs/screenshots

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
