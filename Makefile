# Two commands for a newcomer: `make run` (demo on http://127.0.0.1:5000) and `make test`.
# Needs only Python >= 3.11 and Debian packages; everything else goes into .venv.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
INSTANCE := $(or $(BOOKING_INSTANCE_PATH),instance)
HOST ?= 127.0.0.1
PORT ?= 5000

TRANSLATIONS := booking/translations
LOCALES := ja
CATALOGS := $(foreach l,$(LOCALES),$(TRANSLATIONS)/$(l)/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)
POT := build/messages.pot
# Keep in step with KEYWORDS in tests/test_i18n.py (Babel's defaults cover _, gettext, ngettext, N_).
BABEL_KEYWORDS := -k lazy_gettext -k _l -k lazy_ngettext:1,2

.PHONY: help run test lint clean translations chromium

help:
	@echo "make run           create .venv, migrate + seed instance/, serve on http://$(HOST):$(PORT)"
	@echo "make test          ruff + the whole pytest suite (installs Debian chromium if missing)"
	@echo "make lint          ruff, and mypy (strict) on booking/domain"
	@echo "make translations  re-extract messages, update and compile the catalogs"
	@echo "make clean         remove .venv, caches and build files (instance/ is kept)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps: reinstall only when pyproject.toml changed.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

$(INSTANCE)/secret_key: | $(BIN)/python
	mkdir -p $(INSTANCE)
	umask 077 && $(BIN)/python -c 'import secrets; print(secrets.token_hex(32))' > $@

# The .mo files are committed; recompile only when a .po is newer.
%/LC_MESSAGES/messages.mo: %/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile --domain messages --input-file $< --output-file $@ --locale $(notdir $*)

run: $(VENV)/.installed $(INSTANCE)/secret_key $(COMPILED)
	$(FLASK) setup
	$(FLASK) --debug run --no-debugger --host $(HOST) --port $(PORT)

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

test: $(VENV)/.installed-test chromium $(COMPILED)
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy --follow-imports=silent booking/domain

translations: $(VENV)/.installed
	mkdir -p $(dir $(POT))
	$(BIN)/pybabel extract --mapping-file babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		--project floor-booking --version 0.1.0 --output-file $(POT) .
	for locale in $(LOCALES); do \
		$(BIN)/pybabel update --input-file $(POT) --output-dir $(TRANSLATIONS) --locale $$locale \
			--init-missing --no-fuzzy-matching --ignore-obsolete || exit 1; \
	done
	$(BIN)/pybabel compile --directory $(TRANSLATIONS) --statistics
	@echo "Fill in empty msgstr in the .po files, then run make translations again;"
	@echo "tests/test_i18n.py lists what is still missing."

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
