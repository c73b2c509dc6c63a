# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PY      := .venv/bin/python
PIP     := .venv/bin/pip
STAMP   := .venv/.installed
# The float screen behind equal shares' Add1 (decide/allocation/mesfloat.py), loaded by ctypes.
MESFLOAT := decide/allocation/_mesfloat.so
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test install lint migrate demo chromium bench clean

$(PY):
	python3 -m venv .venv
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[test]'
	touch $(STAMP)

# Without a C compiler the app still runs: equal shares then uses its exact path alone (slower,
# same outcomes), and the test that the screen is built fails.
# -march=native: the file is built where it runs; its error bounds hold with or without FMA.
# -funswitch-loops: a hot loop that asks "cost satisfaction?" for every supporter becomes two
# loops that ask once (about 6% of Budapest's equal shares).
$(MESFLOAT): decide/allocation/_mesfloat.c
	@echo "$(CC) -O2 -funswitch-loops -march=native -shared -fPIC -o $@ $< -lm"
	@$(CC) -O2 -funswitch-loops -march=native -Wall -shared -fPIC -o $@ $< -lm || \
	  $(CC) -O2 -funswitch-loops -Wall -shared -fPIC -o $@ $< -lm || \
	  echo "warning: could not compile $<; equal shares will run without its float screen"

install: $(STAMP) $(MESFLOAT)

# The app reads the secret key from instance/secret_key itself (decide/config.py), so the
# server, `decide ...` in any shell and these targets all use the same key. Never committed.
instance/secret_key:
	mkdir -p instance
	(umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(48))' > instance/secret_key)

migrate: install instance/secret_key
	.venv/bin/decide db upgrade

demo: migrate
	.venv/bin/decide demo --if-empty

run: demo
	@.venv/bin/decide accounts
	.venv/bin/flask --app app run --host 127.0.0.1 --port 5000

# Debian's chromium for the browser tests; Playwright never downloads a browser here.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# ruff (lint and format), mypy --strict on the pure packages (files in pyproject's [tool.mypy]),
# and the import contracts.
lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy --strict
	.venv/bin/lint-imports

# --durations lists the 25 slowest tests, to keep the suite inside its 15-minute budget.
test: install chromium lint
	DECIDE_TEST_DATABASE_URL=$${DECIDE_TEST_DATABASE_URL:-$(PG_TEST_URL)} DECIDE_FULL_DIFFERENTIAL=1 \
	  .venv/bin/pytest -n 3 --dist loadgroup --durations=25 $(PYTEST_ARGS)

bench: install
	$(PY) bench/allocation.py

clean:
	rm -rf .venv instance .pytest_cache .ruff_cache .hypothesis $(MESFLOAT)
