# The information line: one Makefile for the team. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Rasa 3.6 needs Python 3.10: take the first one that really runs.
PYTHON310 := $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do \
	"$$p" --version >/dev/null 2>&1 && { echo "$$p"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
RASA := $(BIN)/rasa
MODEL := models/line.tar.gz
MODEL_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null)
SHARED := ../shared
RASA_PORT ?= 5005
ACTIONS_PORT ?= 5055
CONSOLE_PORT ?= 5006
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: help setup train run test validate eval crossval shell db console operator-add browser-deps \
	directory-import directory-export directory-stale

help:
	@echo "make run        set up, train if needed, start the action server and Rasa (REST + API)"
	@echo "make test       set up, then rasa data validate, pytest and rasa test"
	@echo "make setup      create .venv with the pinned packages"
	@echo "make train      train the model if data, domain or config changed"
	@echo "make validate   check the training data and explain problems in plain words"
	@echo "make eval       run ../shared/eval against a running server (make run first)"
	@echo "make crossval   cross-validate the NLU model against the keyword baseline"
	@echo "make shell      talk to the assistant in the terminal"
	@echo "make console    start only the operator console (:$(CONSOLE_PORT))"
	@echo "make operator-add USERNAME=ana [ROLE=operator|coordinator]  create a console account"
	@echo "make browser-deps  install Debian's chromium and chromium-driver for the browser tests"
	@echo "make directory-import FILE=services.csv | directory-export [FILE=...] | directory-stale"

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt constraints.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 is needed (Rasa 3.6 does not run on newer Pythons)."; exit 1; }
	test -x $(BIN)/python || $(PYTHON310) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

train: $(MODEL)

$(MODEL): $(MODEL_INPUTS) | setup
	$(RASA) train --fixed-model-name line --out models
	@touch $@

db: setup
	$(BIN)/python -m line.directory_cli load-sample

run: setup $(MODEL) db
	@echo "Action server on :$(ACTIONS_PORT), Rasa on :$(RASA_PORT), operator console on :$(CONSOLE_PORT). Ctrl-C stops all."
	@trap 'kill 0' INT TERM EXIT; \
	$(RASA) run actions --actions actions --port $(ACTIONS_PORT) & \
	CONSOLE_PORT=$(CONSOLE_PORT) $(BIN)/python -m console & \
	$(RASA) run --enable-api --port $(RASA_PORT) --model $(MODEL) --credentials credentials.yml --endpoints endpoints.yml

validate: setup
	$(BIN)/python -m line.content_check
	$(RASA) data validate --fail-on-warnings

test: browser-deps setup $(MODEL) db validate
	$(BIN)/python -m pytest -q tests
	$(RASA) test core --e2e --model $(MODEL) --stories tests/test_stories.yml \
		--fail-on-prediction-errors --out results
	$(RASA) test nlu --model $(MODEL) --nlu tests/nlu --out results
	$(BIN)/python -m line.test_report results

eval: setup
	@test -d $(SHARED)/eval || { echo "No $(SHARED)/eval here: nothing to evaluate."; exit 1; }
	$(BIN)/python $(SHARED)/eval/evaluate.py --cases $(SHARED)/eval/examples.yml \
		--url http://localhost:$(RASA_PORT) --json results/eval.json

crossval: setup
	$(RASA) test nlu --nlu data --cross-validation --folds 3 --out results/crossval
	$(BIN)/python -m bench.keyword_baseline --folds 3

shell: setup $(MODEL) db
	@trap 'kill 0' INT TERM EXIT; \
	$(RASA) run actions --actions actions --port $(ACTIONS_PORT) >/dev/null 2>&1 & \
	$(RASA) shell --model $(MODEL)

directory-import: setup
	@test -n "$(FILE)" || { echo "Say which file: make directory-import FILE=services.csv"; exit 1; }
	$(BIN)/python -m line.directory_cli import "$(FILE)"

directory-export: setup
	$(BIN)/python -m line.directory_cli export $(FILE)

directory-stale: setup
	$(BIN)/python -m line.directory_cli stale

console: setup db
	CONSOLE_PORT=$(CONSOLE_PORT) $(BIN)/python -m console

# The password is asked at the terminal; scripts pipe it on stdin or set OPERATOR_PASSWORD.
operator-add: setup
	@test -n "$(USERNAME)" || { echo "Say who: make operator-add USERNAME=ana [ROLE=coordinator]"; exit 1; }
	@if [ -n "$$OPERATOR_PASSWORD" ]; then \
		printf '%s\n' "$$OPERATOR_PASSWORD" | $(BIN)/python -m line.operator_cli add "$(USERNAME)" $(or $(ROLE),operator); \
	else \
		$(BIN)/python -m line.operator_cli add "$(USERNAME)" $(or $(ROLE),operator); \
	fi

browser-deps:
	@bash scripts/browser-deps.sh
