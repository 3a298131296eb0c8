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
WORKERS ?= 1
SERVE_PID := $(VAR)/serve.pid
# uvicorn under its own supervisor, each worker listening on its own socket (serving/__main__.py)
SERVE_CMD = $(BIN)/python -m serving --host $(HOST) --port $(PORT) --workers $(WORKERS)
SEED ?= 42
PYTEST_ARGS ?=
TRAIN_FLAGS ?= --make-current-symlink
# Airflow: every setting is in scripts/airflow-env.sh (docs/airflow.md); this points it at the paths
# above, at WAREHOUSE_URL when it is given on the command line or in the environment, and at the
# API of `make serve` (scripts/airflow-local.sh connects reco_serving to it when it runs).
DEMO_CONF ?= {}
AIRFLOW_ENV = RECO_VAR='$(abspath $(VAR))' RECO_ARTIFACT_ROOT='$(abspath $(ARTIFACT_ROOT))' \
  RECO_DATA_DIR='$(abspath $(DATA_DIR))' RECO_SERVE_PID='$(abspath $(SERVE_PID))' RECO_SERVE_HOST='$(HOST)' \
  RECO_SERVE_PORT='$(PORT)' $(if $(filter file,$(origin WAREHOUSE_URL)),, \
  AIRFLOW_CONN_RECO_WAREHOUSE='{"conn_type":"generic","extra":{"sqlalchemy_url":"$(WAREHOUSE_URL)"}}')

.PHONY: help setup test lint data catalog train verify_artifacts eval serve serve-fg stop demo demo-warehouse airflow clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

# About 3 minutes on 2 cores the first time (pip: ~1.5 min); each step says what it does.
# kernels.pyx: pip compiles it at install (editable: into the source tree), so an edit needs a new one.
$(STAMP): pyproject.toml constraints.txt scripts/install-system-deps.sh reco_core/ranking/kernels.pyx
	@echo "setup 1/4: Debian packages (database servers, ODBC drivers, Chromium, wrk, g++; only the missing ones)"
	bash scripts/install-system-deps.sh
	@echo "setup 2/4: Python >= 3.11 and .venv"
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "make setup: $(PYTHON) is older than 3.11 (PYTHON=python3.11 make ...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "setup 3/4: pip installs the pinned dependencies (about 1.5 min, one line per package)"
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install --progress-bar off -c constraints.txt -e '.[serving,airflow,dev]' | \
	  grep --line-buffered -E '^(Collecting|Successfully|ERROR)'; exit "$${PIPESTATUS[0]}"
	@echo "setup 4/4: pip check"
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

catalog: $(STAMP) ## extract the catalogue state (branches, stock, delisted) and promote it (catalog_current)
	$(BIN)/reco catalog extract --warehouse-url '$(WAREHOUSE_URL)' --artifact-root $(ARTIFACT_ROOT) --promote

train: $(STAMP) ## train LightFM + pairs into a new run under ARTIFACT_ROOT, then verify it (TRAIN_FLAGS= more flags)
	run=$$($(BIN)/reco train --ventes $(DATA_DIR)/df_ventes_grouped.parquet \
	  --details $(DATA_DIR)/df_details_produits.parquet --pairs $(DATA_DIR)/df_couple_produit.parquet \
	  --artifact-root $(ARTIFACT_ROOT) $(TRAIN_FLAGS)) && $(BIN)/reco verify-artifacts "$$run"

verify_artifacts: $(STAMP) ## verify a run (manifest checksums, shapes); RUN= a run or a root (default ARTIFACT_ROOT)
	$(BIN)/reco verify-artifacts '$(or $(RUN),$(ARTIFACT_ROOT))'

eval: $(STAMP) ## offline evaluation on the holdout, with baselines (docs/quality.md); the demo's planted twins when present
	$(BIN)/reco eval --ventes $(DATA_DIR)/df_ventes_holdout.parquet --artifact-dir $(ARTIFACT_ROOT) \
	  $(if $(wildcard $(VAR)/demo_twins.json),--twins $(VAR)/demo_twins.json)

# Both serve targets record their pid in SERVE_PID, so that `make stop` stops either; neither
# starts while the other runs (its pid file would be overwritten and the first left running).
NOT_SERVING = mkdir -p $(VAR); if [ -f $(SERVE_PID) ] && kill -0 "$$(cat $(SERVE_PID))" 2>/dev/null; then \
  echo "already serving (pid $$(cat $(SERVE_PID))) on http://$(HOST):$(PORT); make stop first"; exit 1; fi

serve: $(STAMP) ## serve the API in the background on HOST:PORT (WORKERS=1), log in var/serve.log
	@$(NOT_SERVING)
	@RECO_ARTIFACT_ROOT="$${RECO_ARTIFACT_ROOT:-$${ARTIFACT_DIR:-$(ARTIFACT_ROOT)}}" setsid $(SERVE_CMD) > $(VAR)/serve.log 2>&1 < /dev/null & \
	  echo $$! > $(SERVE_PID)
	@for i in $$(seq 1 240); do \
	  kill -0 "$$(cat $(SERVE_PID))" 2>/dev/null || { tail -n 20 $(VAR)/serve.log; rm -f $(SERVE_PID); \
	    echo "make serve: the server exited (log: $(VAR)/serve.log)"; exit 1; }; \
	  health=$$( (exec 3<>/dev/tcp/$(HOST)/$(PORT) && printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3 && cat <&3) \
	    2>/dev/null | tail -n 1); \
	  [ -n "$$health" ] && break; sleep 0.5; done; \
	echo "serving on http://$(HOST):$(PORT) (docs: /docs), pid $$(cat $(SERVE_PID)), $(WORKERS) worker(s)," \
	  "log $(VAR)/serve.log; /healthz: $${health:-no answer yet}"

serve-fg: $(STAMP) ## serve the API in the foreground (Ctrl+C stops it, or make stop from another shell)
	@$(NOT_SERVING)
	echo $$$$ > $(SERVE_PID); RECO_ARTIFACT_ROOT="$${RECO_ARTIFACT_ROOT:-$${ARTIFACT_DIR:-$(ARTIFACT_ROOT)}}" exec $(SERVE_CMD)

stop: ## stop what `make serve`, `make serve-fg` (so `make demo`) and `make airflow` started (whole process groups: workers and tasks too)
	@if [ ! -f $(SERVE_PID) ]; then echo "make stop: nothing runs (no $(SERVE_PID))"; exit 0; fi; \
	pid=$$(cat $(SERVE_PID)); \
	if ! kill -0 "$$pid" 2>/dev/null; then echo "make stop: nothing runs (stale pid $$pid)"; rm -f $(SERVE_PID); exit 0; fi; \
	kill -TERM -- "-$$pid" 2>/dev/null || kill -TERM "$$pid"; \
	for i in $$(seq 1 40); do kill -0 "$$pid" 2>/dev/null || break; sleep 0.25; done; \
	if kill -0 "$$pid" 2>/dev/null; then kill -KILL -- "-$$pid"; echo "stopped pid $$pid (killed after 10 s)"; \
	else echo "stopped pid $$pid"; fi; \
	rm -f $(SERVE_PID)
	@$(AIRFLOW_ENV) bash scripts/airflow-local.sh stop

demo: $(STAMP) ## the main job: demo warehouse -> DAG reco_training (airflow dags test) -> serve the promoted run on PORT
	$(MAKE) demo-warehouse
	@$(AIRFLOW_ENV) bash scripts/airflow-local.sh dags-test reco_training '$(DEMO_CONF)'
	@$(AIRFLOW_ENV) bash scripts/airflow-local.sh dags-test reco_catalog_refresh '{}'
	@$(BIN)/python -m reco_airflow.demo '$(ARTIFACT_ROOT)' 'http://$(HOST):$(PORT)'
	@echo "serving the promoted run on http://$(HOST):$(PORT) (docs: /docs), in the foreground: Ctrl+C or make stop"
	$(MAKE) serve-fg

airflow: $(STAMP) ## start a local Airflow (UI/API on 127.0.0.1:8090, scheduler, dag-processor) with the demo config
	@$(AIRFLOW_ENV) bash scripts/airflow-local.sh start

clean: ## remove generated data and artifacts (keeps .venv)
	rm -rf $(VAR) $(ARTIFACT_ROOT)
