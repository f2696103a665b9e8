# Two entry points for people: `make run` and `make test`. Each does its own set-up.
PYTHON ?= python3
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test lint setup db bench bench-scale clean web-deps browser-deps
NODE_STAMP := web/node_modules/.package-lock.json
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# Front-end libraries (bpmn-js, echarts) from the npm registry, served from web/node_modules.
$(NODE_STAMP): web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund
	touch $(NODE_STAMP)

web-deps: $(NODE_STAMP)

# Browser tests drive Debian's Chromium; Chinese text needs a CJK font in the screenshots.
$(CHROMIUM) $(CJK_FONT):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei

browser-deps: $(CHROMIUM) $(CJK_FONT)

db: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	$(FLASK) processes deploy

run: db web-deps
	$(FLASK) demo --logins
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The checks CI runs before the tests: ruff (lint and format) and mypy (strict, on [tool.mypy] files).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(STAMP) web-deps browser-deps
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/calendar.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/timers.py
	$(BIN)/python bench/case_bytes.py

# Listings, inboxes and SLA figures at 15K / 150K / 1.5M cases on PostgreSQL (DATABASE_URL's server, database
# yibao_scale), with bytes per case, timer lateness and bench/engine.py: minutes, not part of `make test`.
SCALE_ARGS ?= --explain
bench-scale: $(STAMP)
	$(BIN)/python bench/scale.py $(SCALE_ARGS)

clean:
	rm -rf $(VENV) instance web/node_modules
