# Pulsar developer and CI entry points.
# Everything runs through .venv/bin/... paths; nothing needs an activated venv.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMPS := .make-stamps

# Only pass directories that exist (benchmarks/ may not yet).
LINT_PATHS  := $(wildcard engine eventstore web tests benchmarks)
TYPE_PATHS  := $(wildcard engine eventstore web)
PYTEST_ARGS ?= --durations=15

.PHONY: help install run test coverage lint types check-migrations bench clean distclean \
	ui ui-check ui-test chromium

help:
	@echo "Targets:"
	@echo "  install           create $(VENV) (if missing) and pip install -e '.[dev]'"
	@echo "  run               install, build the web app, then $(BIN)/pulsar serve (embedded PostgreSQL if no DATABASE_URL)"
	@echo "  test              install, build the web app, ensure PostgreSQL and chromium, run vitest and pytest (PYTEST_ARGS=...)"
	@echo "  ui                npm ci (when package-lock.json changed) and build web/ui (when its sources changed)"
	@echo "  ui-check          svelte-check: TypeScript (strict) over the web app"
	@echo "  ui-test           vitest: the web app's unit tests"
	@echo "  coverage          unit tests; the pure area packages must be 100% covered"
	@echo "  lint              ruff check + ruff format --check"
	@echo "  types             mypy $(TYPE_PATHS)"
	@echo "  check-migrations  committed migrations are immutable and ordered"
	@echo "  bench             python -m benchmarks"
	@echo "  clean             remove caches, build artefacts and stamps (keeps $(VENV))"
	@echo "  distclean         clean, and remove $(VENV)"

# --- install -----------------------------------------------------------------
# pyvenv.cfg is a real file written when the venv is created, so a recreated
# venv is newer than the stamp and forces a reinstall.
$(VENV)/pyvenv.cfg:
	$(PYTHON) -m venv $(VENV)

$(STAMPS)/install: pyproject.toml $(VENV)/pyvenv.cfg
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -e '.[dev]'
	@mkdir -p $(STAMPS)
	@touch $@

install: $(STAMPS)/install
	@:

# --- web app (web/ui: SvelteKit static SPA, served by Pulsar at /) ------------
# npm ci runs when package-lock.json is newer than npm's own record of the last
# install; the build runs when any source is newer than the built shell.
UI         := web/ui
UI_SOURCES := $(shell find $(UI)/src $(UI)/static -type f 2>/dev/null) \
              $(wildcard $(UI)/vite.config.ts $(UI)/tsconfig.json $(UI)/package.json)
UI_VERSION ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)

$(UI)/node_modules/.package-lock.json: $(UI)/package-lock.json
	@bash scripts/ensure-node
	cd $(UI) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(UI)/build/index.html: $(UI)/node_modules/.package-lock.json $(UI_SOURCES)
	cd $(UI) && PULSAR_UI_VERSION=$(UI_VERSION) npm run --silent build >/dev/null
	@touch $@
	@echo "web app built into $(UI)/build"

ui: $(UI)/build/index.html
	@:

ui-check: $(UI)/node_modules/.package-lock.json
	cd $(UI) && npm run --silent check

ui-test: $(UI)/node_modules/.package-lock.json
	cd $(UI) && npx vitest run

chromium:
	@bash scripts/ensure-chromium

# --- run ---------------------------------------------------------------------
run: install ui
	$(BIN)/pulsar serve

# --- test --------------------------------------------------------------------
# scripts/ensure-postgres prints the DSN as its last stdout line (logs go to
# stderr) and fails if no server can be had; that failure fails the target.
# The recipe ends with pytest, so its exit status is the target's. The web app's
# unit tests (vitest) run first; its end-to-end tests (tests/e2e, Playwright with
# Debian's chromium against the built app) are part of the pytest run.
test: install ui chromium
	@bash scripts/ensure-alertmanager
	$(MAKE) ui-test
	@DATABASE_URL="$$(bash scripts/ensure-postgres | tail -n 1)"; \
	export DATABASE_URL; \
	echo "make test: DATABASE_URL=$$DATABASE_URL"; \
	echo "$(BIN)/pytest tests $(PYTEST_ARGS)"; \
	$(BIN)/pytest tests $(PYTEST_ARGS)

# The pure area packages (style.md habit 15) are covered 100% by unit tests alone.
PURE_AREAS := engine/alerts engine/access engine/integrations engine/heartbeats engine/schedules engine/identity engine/teams engine/escalations engine/maintenance engine/routing engine/contacts engine/paging
coverage: install
	$(BIN)/pytest tests/unit -q -p no:cacheprovider $(addprefix --cov=,$(PURE_AREAS)) \
		--cov-report=term-missing:skip-covered --cov-fail-under=100

# --- static checks -----------------------------------------------------------
# Both ruff passes always run; the target fails if either failed.
lint: install
	@rc=0; \
	echo "$(BIN)/ruff check $(LINT_PATHS)"; \
	$(BIN)/ruff check $(LINT_PATHS) || rc=1; \
	echo "$(BIN)/ruff format --check $(LINT_PATHS)"; \
	$(BIN)/ruff format --check $(LINT_PATHS) || rc=1; \
	exit $$rc

types: install
	$(BIN)/mypy $(TYPE_PATHS)

check-migrations:
	$(PYTHON) .ci/check-migrations

# --- benchmarks --------------------------------------------------------------
bench: install
	$(BIN)/python -m benchmarks

# --- housekeeping ------------------------------------------------------------
clean:
	rm -rf $(STAMPS) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist
	rm -rf $(UI)/build $(UI)/.svelte-kit
	rm -rf *.egg-info
	find . -path ./$(VENV) -prune -o -path ./.git -prune -o -path ./node_modules -prune \
	  -o -type d -name __pycache__ -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV) $(UI)/node_modules
