# Two commands matter: `make run` and `make test`. Both set everything up first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
ZL := $(PY) -m zhiliang
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test system setup messages lint test-sqlite test-postgres bench bench-peers screenshots clean

# System packages (PostgreSQL, Debian chromium, gettext, CJK fonts); fast when present.
system:
	@bash scripts/system-deps.sh

# The virtualenv, reinstalled whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

setup: system $(STAMP) messages

messages: $(STAMP)
	@$(ZL) compilemessages -v 0 --ignore=.venv --ignore=var

run: setup
	@$(ZL) migrate -v 0
	@$(ZL) bootstrap --demo
	@echo "Zhiliang is at http://$(HOST):$(PORT)/ (SQLite: var/zhiliang.sqlite3)"
	@$(ZL) runserver $(HOST):$(PORT)

lint: $(STAMP)
	@$(VENV)/bin/ruff check zhiliang benchmarks
	@$(VENV)/bin/ruff format --check zhiliang benchmarks
	@$(VENV)/bin/mypy

test-sqlite: setup
	@echo "== tests on SQLite (with browser tests) =="
	@env -u DATABASE_URL ZHILIANG_EXPECT_DB=sqlite $(PY) -m pytest -p no:cacheprovider

test-postgres: setup
	@echo "== tests on PostgreSQL =="
	@url=$$(bash scripts/pg.sh start) && test -n "$$url" && \
		DATABASE_URL="$$url" ZHILIANG_EXPECT_DB=postgresql $(PY) -m pytest -p no:cacheprovider -m "not browser"; \
		status=$$?; bash scripts/pg.sh stop >/dev/null; exit $$status

test: setup lint test-sqlite test-postgres

# Every benchmark runs even if one misses its limit; the target fails if any did.
BENCHES := run.py bench_dashboards.py "bench_inspections.py --db both" \
	"bench_credit.py --db both" bench_credit_public.py bench_signals.py
bench: setup
	@status=0; for b in $(BENCHES); do $(PY) benchmarks/$$b || status=1; done; exit $$status

# The signal detectors beside their reference implementations (R surveillance from Debian,
# pynssp and vigipy in a virtualenv of their own; installed first, apart from the
# project's dependencies): 2.5–5 minutes, so not part of `make bench`.
bench-peers: setup
	@$(PY) benchmarks/peers/setup_peers.py
	@$(PY) benchmarks/bench_signals_peers.py

clean:
	-@bash scripts/pg.sh stop
	rm -rf $(VENV) var

screenshots: setup
	@$(PY) scripts/screenshots.py
