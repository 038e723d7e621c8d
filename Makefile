# health-predict: `make demo` runs the pipeline in real Airflow, `make test` runs every test lane.
# Each target installs what it needs; re-running is cheap (stamps below).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
CLI := node bin/health-predict.mjs
AIRFLOW_VENV := .venv/airflow
ML_VENV := .venv/ml

.PHONY: help setup setup-docker build bundle dags test test-unit test-trainer test-airflow typecheck check-dags demo bench lock clean up down

help:
	@echo "make demo   - set up, compile the DAGs and run the example DAG in real Airflow"
	@echo "make test   - set up and run every test lane (what CI runs)"
	@echo "make setup  - install npm packages and the two Python environments"
	@echo "make setup-docker - as root: Debian's docker.io, docker-registry, debootstrap, apache2-utils, chromium (image tests, local ECR, UI test)"
	@echo "make build  - bundle the task scripts and compile the DAGs"
	@echo "make bench  - run the benchmarks (one JSON object each)"
	@echo "make lock   - re-resolve the pinned Python requirements"
	@echo "make up     - Airflow in Docker Compose (UI on http://localhost:8080) with MLflow, S3, registry"
	@echo "make down   - stop it (make down VOLUMES=1 also deletes its data)"

setup: node_modules/.installed $(AIRFLOW_VENV)/.installed $(ML_VENV)/.installed setup-docker

# dockerd (overlay2 or vfs, host network), the registry standing in for ECR's, debootstrap for the
# local base image, htpasswd for the registry's password, chromium for the compose lane's UI test
# (puppeteer-core drives it). Installed when missing and we are root; otherwise a warning: the
# image tests then skip and say why.
DOCKER_PACKAGES := docker.io docker-registry debootstrap apache2-utils chromium
setup-docker:
	@missing=$$(for pkg in $(DOCKER_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$pkg 2>/dev/null | grep -q '^install ok installed$$' || printf '%s ' $$pkg; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
	  echo "warning: not installed: $$missing (needs root and apt-get); the Docker image tests will skip" >&2; exit 0; fi; \
	echo "installing $$missing"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null

$(UV):
	$(PYTHON) -m pip install --user --quiet uv

node_modules/.installed: package.json package-lock.json
	ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
	touch $@

$(AIRFLOW_VENV)/.installed: airflow/requirements.lock | $(UV)
	$(UV) venv --quiet --allow-existing -p $(PYTHON) $(AIRFLOW_VENV)
	$(UV) pip sync --quiet --compile-bytecode -p $(AIRFLOW_VENV)/bin/python airflow/requirements.lock
	touch $@

$(ML_VENV)/.installed: trainer/requirements.lock | $(UV)
	$(UV) venv --quiet --allow-existing -p $(PYTHON) $(ML_VENV)
	$(UV) pip sync --quiet --compile-bytecode -p $(ML_VENV)/bin/python trainer/requirements.lock
	touch $@

# schemathesis for the fuzz lane (test/fuzz/requirements.in says how to re-resolve its lock).
FUZZ_VENV := .venv/fuzz
$(FUZZ_VENV)/.installed: test/fuzz/requirements.lock | $(UV)
	$(UV) venv --quiet --allow-existing -p $(PYTHON) $(FUZZ_VENV)
	$(UV) pip sync --quiet --compile-bytecode -p $(FUZZ_VENV)/bin/python test/fuzz/requirements.lock
	touch $@

lock: | $(UV)
	$(UV) pip compile airflow/requirements.in --python-version 3.11 -q -o airflow/requirements.lock --custom-compile-command "make lock"
	$(UV) pip compile trainer/requirements.in --python-version 3.11 -q -o trainer/requirements.lock --custom-compile-command "make lock"
	$(UV) pip compile test/fuzz/requirements.in --python-version 3.11 -q -o test/fuzz/requirements.lock --custom-compile-command "make lock"

bundle: node_modules/.installed
	$(CLI) bundle

# The local Airflow platform (docker-compose.airflow.yml): secrets into .env on first start, images
# built (cached), every service healthy, then the UI's address and login.
up: node_modules/.installed setup-docker
	$(CLI) airflow up

down: node_modules/.installed
	$(CLI) airflow down $(if $(VOLUMES),--volumes)

dags: node_modules/.installed
	$(CLI) dag build

build: bundle dags

typecheck: node_modules/.installed
	npx tsc --noEmit -p tsconfig.json

check-dags: node_modules/.installed
	$(CLI) dag build --check

# Who may import whom in src/ (.dependency-cruiser.cjs says why for each rule).
.PHONY: layers
layers: node_modules/.installed
	npx depcruise src --config .dependency-cruiser.cjs --output-type err

test-unit: setup
	npx vitest run

test-trainer: setup
	$(ML_VENV)/bin/python -m pytest trainer/tests -q -rs -p no:cacheprovider

test-airflow: setup bundle
	$(AIRFLOW_VENV)/bin/python -m pytest test/airflow -q -rs --durations=15 -p no:cacheprovider

# The compose platform as users run it (test/compose): `airflow up` under its own project and ports,
# the example and the pipeline through the REST API, a scheduled DAG, a killed scheduler, the UI in
# chromium, no leaked secret, `down --volumes`. Needs root (dockerd); skips with the reason otherwise.
.PHONY: test-compose
test-compose: node_modules/.installed setup-docker
	npx vitest run --config vitest.compose.config.ts

# schemathesis against the bundled prediction service: >= 2000 requests, no 5xx, no schema violation.
.PHONY: test-fuzz
test-fuzz: node_modules/.installed $(ML_VENV)/.installed $(FUZZ_VENV)/.installed
	npx tsx test/fuzz/run.ts

# The local Kubernetes cluster for the deploy tests (vitest test/unit/k8s and test/unit/tasks/kubernetes-deploy, the Airflow pipeline run):
# its binaries are built once per machine (30–50 min cold, cached in ~/.cache/health-predict),
# then `cluster up` takes seconds. It needs root; without it those tests skip and say why.
# `make test` stops the cluster again when it was not running before (one cluster per machine:
# a leftover would block another checkout's `cluster up`), then fails when any process the run
# started is still alive (scripts/check-leftovers.sh: they carry HP_TEST_RUN_ID in their environment).
.PHONY: cluster
cluster: node_modules/.installed
	@if [ "$$(id -u)" = 0 ]; then $(CLI) cluster up; else echo "cluster: not root, so the Kubernetes tests will skip"; fi

# An interrupted `cluster up` stops what it started (issue: nothing left behind). It needs the machine
# to have no cluster running, so `make test` runs it before bringing its own cluster up.
.PHONY: test-cluster-interrupt
test-cluster-interrupt: setup
	HP_LEFTOVERS_CLUSTER=1 npx vitest run test/unit/bench/leftovers.test.ts -t 'interrupted after containerd started'

# The compose platform's images build in the background from the start (downloads overlap the other
# lanes, and the cluster build on a cold machine); test-compose runs last, on the cluster still up.
test: setup typecheck check-dags layers
	@export HP_TEST_RUN_ID="make-test-$$(date +%s)-$$$$"; \
	if [ "$$(id -u)" = 0 ] && ! $(CLI) cluster status --json 2>/dev/null | grep -q '"nodeReady":true'; then started=1; else started=0; fi; \
	rc=0; if [ $$started = 1 ]; then $(MAKE) --no-print-directory test-cluster-interrupt || rc=$$?; fi; \
	ahead=$$(mktemp -d /tmp/hpb-XXXXXX); \
	$(CLI) airflow build --secrets-file "$$ahead/.env" --stack-dir "$$ahead/stack" >"$$ahead/build.log" 2>&1 & building=$$!; \
	$(MAKE) --no-print-directory cluster test-unit test-trainer test-airflow test-fuzz || rc=$$?; \
	if wait $$building; then echo "compose platform: $$(tail -1 "$$ahead/build.log") (in the background)"; \
	else echo "building the compose platform's images ahead failed (test-compose builds them again); the end of its log:"; tail -20 "$$ahead/build.log"; fi; \
	rm -rf "$$ahead"; \
	$(MAKE) --no-print-directory test-compose || rc=$$?; \
	if [ $$started = 1 ]; then $(CLI) cluster down; fi; \
	allow=(); if [ $$started = 0 ]; then allow=(--allow "$$(realpath -m "$${HP_CLUSTER_DIR:-.cluster}")/"); fi; \
	scripts/check-leftovers.sh "$$HP_TEST_RUN_ID" "$${allow[@]}" || { [ $$rc != 0 ] || rc=1; }; \
	exit $$rc

demo: setup bundle check-dags
	scripts/demo.sh

bench: setup bundle
	npm run --silent bench:compile
	npm run --silent bench:bootstrap
	npm run --silent bench:onnx-layout
	npm run --silent bench:csv-memory

clean:
	rm -rf dist .cache
