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

.PHONY: help setup build bundle dags test test-unit test-trainer test-airflow typecheck check-dags demo bench lock clean

help:
	@echo "make demo   - set up, compile the DAGs and run the example DAG in real Airflow"
	@echo "make test   - set up and run every test lane (what CI runs)"
	@echo "make setup  - install npm packages and the two Python environments"
	@echo "make build  - bundle the task scripts and compile the DAGs"
	@echo "make bench  - run the benchmarks (one JSON object each)"
	@echo "make lock   - re-resolve the pinned Python requirements"

setup: node_modules/.installed $(AIRFLOW_VENV)/.installed $(ML_VENV)/.installed

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

lock: | $(UV)
	$(UV) pip compile airflow/requirements.in --python-version 3.11 -q -o airflow/requirements.lock --custom-compile-command "make lock"
	$(UV) pip compile trainer/requirements.in --python-version 3.11 -q -o trainer/requirements.lock --custom-compile-command "make lock"

bundle: node_modules/.installed
	$(CLI) bundle

dags: node_modules/.installed
	$(CLI) dag build

build: bundle dags

typecheck: node_modules/.installed
	npx tsc --noEmit -p tsconfig.json

check-dags: node_modules/.installed
	$(CLI) dag build --check

test-unit: setup
	npx vitest run

test-trainer: setup
	$(ML_VENV)/bin/python -m pytest trainer/tests -q -p no:cacheprovider

test-airflow: setup bundle
	$(AIRFLOW_VENV)/bin/python -m pytest test/airflow -q -p no:cacheprovider

test: setup typecheck check-dags test-unit test-trainer test-airflow

demo: setup bundle check-dags
	scripts/demo.sh

bench: setup bundle
	npm run --silent bench:compile
	npm run --silent bench:bootstrap

clean:
	rm -rf dist .cache
