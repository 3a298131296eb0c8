# reco-materiaux — every task a data engineer runs, one target each. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VAR ?= var
WAREHOUSE_URL ?= sqlite:///$(VAR)/warehouse.db
DATA_DIR ?= $(VAR)/data
ARTIFACT_ROOT ?= artifacts
HOLDOUT_DAYS ?= 30
PORT ?= 8080
HOST ?= 127.0.0.1
SEED ?= 42
PYTEST_ARGS ?=

.PHONY: help setup test lint data train verify_artifacts eval serve stop demo demo-warehouse clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[serving,airflow,dev]'
	$(BIN)/pip check
	touch $(STAMP)

setup: $(STAMP) ## create .venv with every pinned dependency, plus the Debian packages the tests need

test: $(STAMP) ## run the whole test suite (starts PostgreSQL/MariaDB if they are down)
	bash scripts/ensure-services.sh
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff check + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

demo-warehouse: $(STAMP) ## generate the demo BTP warehouse (SQLite under var/ by default)
	$(BIN)/reco demo-warehouse --warehouse-url '$(WAREHOUSE_URL)' --seed $(SEED) --kits-out $(VAR)/demo_kits.json

data: $(STAMP) ## extract the three Parquet files (+ holdout) from the warehouse into DATA_DIR
	$(BIN)/reco data --warehouse-url '$(WAREHOUSE_URL)' --dir_data $(DATA_DIR) --holdout-days $(HOLDOUT_DAYS)

train: $(STAMP) ## train LightFM + pairs and write a run under ARTIFACT_ROOT
	@echo "make train: not yet available (issue 'Training pipeline and artifact store')"; exit 2

verify_artifacts: $(STAMP) ## verify a run (manifest checksums, shapes); RUN= a run or a root (default ARTIFACT_ROOT)
	$(BIN)/reco verify-artifacts '$(or $(RUN),$(ARTIFACT_ROOT))'

eval: $(STAMP) ## offline evaluation on the holdout, with baselines
	@echo "make eval: not yet available (issue 'Offline evaluation')"; exit 2

serve: $(STAMP) ## serve the API on HOST:PORT
	@echo "make serve: not yet available (issue 'Serving API')"; exit 2

stop: ## stop what `make serve` / `make airflow` started
	@echo "make stop: nothing to stop yet (no serving or Airflow target exists)"

demo: $(STAMP) ## the main job on the embedded default: demo warehouse -> extraction
	$(MAKE) demo-warehouse data

clean: ## remove generated data and artifacts (keeps .venv)
	rm -rf $(VAR) $(ARTIFACT_ROOT)
