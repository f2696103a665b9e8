# Two entry points for people: `make run` and `make test`. Each does its own set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test setup db bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

db: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	$(FLASK) processes deploy

run: db
	$(FLASK) demo --logins
	$(FLASK) run --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/calendar.py
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) instance
