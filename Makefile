# Two commands for a newcomer: `make run` (demo on http://127.0.0.1:5000) and `make test`.
# Needs only Python >= 3.11 and Debian packages; everything else goes into .venv.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
# Every dependency (runtime and test extra) pinned with hashes; `make lock` regenerates it.
LOCK := requirements.lock
# uv resolves the lock, pip-audit checks it; both live in their own venv, outside the project's.
TOOLS := .venv-tools
UV_VERSION := 0.13.9
PIP_AUDIT_VERSION := 2.10.1
INSTANCE := $(or $(BOOKING_INSTANCE_PATH),instance)
HOST ?= 127.0.0.1
PORT ?= 5000
# `make test` runs the suite in this many pytest-xdist workers (0: in one process). Most of
# the suite's time is waiting (the browser, real processes, sleeps), which workers overlap:
# with two, a whole SQLite run used 260 s of CPU in 270 s on two cores (48 %); with three,
# the same suite right after took 204 s (265 s of CPU). PostgreSQL with three: 323 s, loaded.
# tests/conftest.py gives each worker its own PostgreSQL database and SQLite files, and
# keeps the tests that start many processes together in one worker (--dist loadgroup).
# Extra pytest options go in PYTEST_ADDOPTS, e.g. PYTEST_ADDOPTS=--durations=40 make test.
TEST_WORKERS ?= 3
SCREENSHOTS := $(or $(E2E_SCREENSHOT_DIR),build/e2e-screenshots)

TRANSLATIONS := booking/translations
LOCALES := ja
CATALOGS := $(foreach l,$(LOCALES),$(TRANSLATIONS)/$(l)/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)
POT := build/messages.pot
# Keep in step with KEYWORDS in tests/test_i18n.py (Babel's defaults cover _, gettext, ngettext, N_).
BABEL_KEYWORDS := -k lazy_gettext -k _l -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 -k N_plural:1,2

# pybabel update keeps a vanished message as obsolete (#~) but never reuses it; when the
# same msgid comes back (a string moved or was briefly removed), take its translation back.
define RESTORE_OBSOLETE
import sys
from babel.messages.pofile import read_po, write_po
for path in sys.argv[1:]:
    with open(path, "rb") as fileobj:
        catalog = read_po(fileobj)
    old = {(m.id, m.context): (key, m) for key, m in catalog.obsolete.items() if m.string}
    restored = 0
    for message in catalog:
        key, previous = old.get((message.id, message.context), (None, None))
        if message.id and not message.string and previous is not None:
            message.string = previous.string
            del catalog.obsolete[key]
            restored += 1
    if restored:
        with open(path, "wb") as fileobj:
            write_po(fileobj, catalog)
        print(f"restored {restored} translation(s) from obsolete entries in {path}")
endef
export RESTORE_OBSOLETE

.PHONY: help run test lint clean translations chromium redis wrk bench mutation postgres-bin lock audit

help:
	@echo "make run           create .venv, migrate + seed instance/, serve on http://$(HOST):$(PORT)"
	@echo "make test          ruff + the whole pytest suite (installs Debian chromium, a Japanese font and postgresql if missing)"
	@echo "make lint          ruff, and mypy (strict) on booking/domain and booking/services"
	@echo "make bench         quick benchmark of every page against two reference apps (installs Debian wrk if missing)"
	@echo "make mutation      mutmut on booking/domain and booking/services: score per file, survivors (minutes)"
	@echo "make lock          re-resolve $(LOCK) (pinned, with hashes) from pyproject.toml"
	@echo "make audit         check $(LOCK) for known vulnerabilities (pip-audit)"
	@echo "make translations  re-extract messages, update and compile the catalogs"
	@echo "make clean         remove .venv, caches and build files (instance/ is kept)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps: reinstall only when pyproject.toml or the lock changed. The locked set (runtime and
# test extra, every file checked against its hash) goes in first, then the project without
# dependencies, so nothing unpinned slips in.
$(VENV)/.installed $(VENV)/.installed-test &: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(VENV)/.installed $(VENV)/.installed-test

$(TOOLS)/.installed:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION) pip-audit==$(PIP_AUDIT_VERSION)
	touch $@

# Keeps the versions already in the lock where pyproject.toml still allows them (uv prefers
# the pins of an existing output file), so re-running it after a merge only adds what is new.
lock: $(TOOLS)/.installed
	$(TOOLS)/bin/uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11 \
		--quiet --output-file $(LOCK)

audit: $(TOOLS)/.installed
	$(TOOLS)/bin/pip-audit --strict --disable-pip --require-hashes --progress-spinner off -r $(LOCK)

$(INSTANCE)/secret_key: | $(BIN)/python
	mkdir -p $(INSTANCE)
	umask 077 && $(BIN)/python -c 'import secrets; print(secrets.token_hex(32))' > $@

# The .mo files are committed; recompile only when a .po is newer.
%/LC_MESSAGES/messages.mo: %/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile --domain messages --input-file $< --output-file $@ --locale $(notdir $*)

# Debug mode: plain-http cookies, and setup may add the demo accounts. Links in pages and
# e-mail follow the address served, unless BASE_URL is set.
run: $(VENV)/.installed $(INSTANCE)/secret_key $(COMPILED)
	BASE_URL="$${BASE_URL:-http://$(HOST):$(PORT)}" $(FLASK) --debug setup
	BASE_URL="$${BASE_URL:-http://$(HOST):$(PORT)}" BOOKING_JOBS_THREAD=1 $(FLASK) --debug run --no-debugger --host $(HOST) --port $(PORT)

# Chromium, and a Japanese font: without one every kanji is a box in the phone screenshots
# (issue 16) and tests/e2e/test_japanese_font.py fails. Noto Sans CJK JP is in the pages' font
# stack (and is Android's Japanese font); any font fontconfig lists for Japanese will do.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi
	@if [ -z "$$(fc-list :lang=ja family 2>/dev/null)" ]; then \
		echo "Installing Debian fonts-noto-cjk (Noto Sans CJK JP) for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y fonts-noto-cjk; \
	fi

# tests/faults restarts a throwaway PostgreSQL cluster of its own: it needs initdb and pg_ctl
# (the server package; its own cluster on 5432 is never used by the tests).
postgres-bin:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "Installing Debian postgresql for the fault tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; \
	fi

# The benchmark falls back to a Python client when wrk cannot be installed.
wrk:
	@if ! command -v wrk >/dev/null; then \
		echo "Installing Debian wrk for the benchmarks"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk \
			|| echo "wrk could not be installed: the benchmark uses its Python client"; \
	fi

bench: $(VENV)/.installed wrk $(COMPILED)
	$(BIN)/python -m benchmarks.run_all --quick $(BENCH_ARGS)

# Not part of `make test`: it takes many minutes. MUTATION_ARGS="--pass domain", "--survivors", ...
mutation: $(VENV)/.installed-test $(COMPILED)
	$(BIN)/python mutation/run.py --check $(MUTATION_ARGS)

# The rate-limit tests count in a real Redis on 127.0.0.1:6379: install Debian's and start it
# (without persistence) when nothing answers there.
redis:
	@if ! command -v redis-server >/dev/null; then \
		echo "Installing Debian redis-server for the rate-limit tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server; \
	fi
	@if ! $(BIN)/python -c 'import redis; redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()' 2>/dev/null; then \
		echo "Starting redis-server on 127.0.0.1:6379"; \
		redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; \
	fi

# ical.js (Thunderbird's parser) for the calendar tests, at the versions package-lock.json pins.
tests/js/node_modules/.package-lock.json: tests/js/package-lock.json
	npm ci --prefix tests/js --no-audit --no-fund

# The browser tests' phone screenshots (320 and 390 px, Japanese) are kept here, this run's only.
test: $(VENV)/.installed-test chromium redis postgres-bin $(COMPILED) tests/js/node_modules/.package-lock.json
	$(BIN)/ruff check .
	rm -f $(SCREENSHOTS)/*.png
	E2E_SCREENSHOT_DIR="$(SCREENSHOTS)" $(BIN)/pytest --numprocesses $(TEST_WORKERS) --dist loadgroup

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy --follow-imports=silent booking/domain booking/services

translations: $(VENV)/.installed
	mkdir -p $(dir $(POT))
	$(BIN)/pybabel extract --mapping-file babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		--project floor-booking --version 0.1.0 --output-file $(POT) .
	for locale in $(LOCALES); do \
		$(BIN)/pybabel update --input-file $(POT) --output-dir $(TRANSLATIONS) --locale $$locale \
			--init-missing --no-fuzzy-matching || exit 1; \
	done
	$(BIN)/python -c "$$RESTORE_OBSOLETE" $(CATALOGS)
	$(BIN)/pybabel compile --directory $(TRANSLATIONS) --statistics
	@echo "Fill in empty msgstr in the .po files, then run make translations again;"
	@echo "tests/test_i18n.py lists what is still missing."

clean:
	rm -rf $(VENV) $(TOOLS) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
