# devopsbot: `make run` starts the whole local stack, `make test` installs everything and runs every test,
# `make test-calendar` runs the suite again with the machine's clock moved (far ahead, and across New Year's Eve).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

# No telemetry, no update checks, from any tool.
export npm_config_update_notifier := false
export npm_config_fund := false
export npm_config_audit := false
export DO_NOT_TRACK := 1
export AZURE_CORE_COLLECT_TELEMETRY := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-calendar setup lint bench clean

run: setup local.settings.json
	$(PY) -m devopsbot dev

test: setup $(CHROMIUM) $(CHECKOV_STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest

# Nothing may depend on today's date. libfaketime moves the clock of every process the suite starts
# (Python, Node, Azurite, Chromium) and keeps it running; everything is installed before the clock moves.
# 400 days ahead catches dates hard-coded in tests; 2026-12-31 23:58 UTC runs across midnight into a new
# year (incident ids are per year). An '@date' is turned into one offset from now, so every process the
# suite starts shares one clock (faketime's own '@' form restarts the clock in each new process).
# Other dates, by hand: make test-calendar CALENDAR_AT='@2027-03-28 00:30:00|+1d'.
FAKETIME := /usr/bin/faketime
CALENDAR_AT ?= +400d|@2026-12-31 23:58:00

test-calendar: setup $(CHROMIUM) $(CHECKOV_STAMP) $(FAKETIME)
	@dates='$(CALENDAR_AT)'; IFS='|'; for at in $$dates; do \
		case "$$at" in \
			@*) offset=$$(( $$(date -u -d "$${at#@}" +%s) - $$(date -u +%s) )); \
				case "$$offset" in -*) shift="$$offset";; *) shift="+$$offset";; esac;; \
			*) shift="$$at";; \
		esac; \
		echo "== the whole suite with the clock at $$at (faketime $$shift)"; \
		TZ=UTC $(FAKETIME) -f "$$shift" $(PY) -m pytest -p no:cacheprovider || exit 1; \
	done

setup: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): requirements.txt requirements-dev.txt constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "devopsbot needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || \
		(echo "devopsbot needs Node.js 20 or newer" >&2; exit 1)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Checkov (the IaC scan in tests/infra) gets its own environment: it pulls in many packages.
$(CHECKOV_STAMP): requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $@

# Browser tests use Debian's Chromium (a test tool's own browser download does not work here).
$(CHROMIUM):
	@command -v apt-get >/dev/null || (echo "install Chromium as $(CHROMIUM) to run the browser tests" >&2; exit 1)
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

$(FAKETIME):
	@command -v apt-get >/dev/null || (echo "install libfaketime's faketime as $(FAKETIME) to move the clock" >&2; exit 1)
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends faketime

# A fresh local key signs email action links, fresh secrets guard the alert endpoints; they never leave this
# machine (the file is git-ignored).
local.settings.json:
	$(PYTHON) -c 'import json, secrets; s = json.load(open("local.settings.example.json")); s["Values"]["DEVOPSBOT_ACTION_LINK_KEY"] = secrets.token_hex(32); s["Values"].update({n: secrets.token_urlsafe(24) for n in s["Values"] if n.startswith("DEVOPSBOT_ALERT_SECRET_")}); json.dump(s, open("$@", "w"), indent=2)'

lint: setup
	$(PY) -m ruff check .
	$(PY) -m mypy

bench: setup
	$(PY) bench/cold_start.py
	$(PY) bench/storage_round_trips.py
	$(PY) bench/first_request.py
	$(PY) bench/memory_peak.py
	$(PY) bench/declaration_storm.py

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules .data .pytest_cache .mypy_cache .ruff_cache
