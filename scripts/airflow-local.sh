#!/usr/bin/env bash
# A local Airflow for the reco DAGs: `start` (make airflow) / `stop` (make stop).
#
# start: migrates the metadata database, then starts the API server (UI and REST API), the
# scheduler (LocalExecutor, --skip-serve-logs: no log server on 0.0.0.0:8793) and the
# dag-processor, each in its own session (setsid), its PID in $AIRFLOW_HOME/pids/<name>.pid and
# its output in $AIRFLOW_HOME/logs/<name>.log; waits until the API server answers and prints the
# login. Components are started one by one rather than with `airflow standalone`, whose children
# ignore SIGTERM.
# stop: stops each recorded component with its whole process group (task processes included):
# SIGTERM, SIGKILL after 20 s.
# dags-test DAG [CONF]: migrates, then runs one DAG run in this process (`airflow dags test`,
# no scheduler), showing the tasks as they end; the full log goes to $AIRFLOW_HOME/logs.
#
# Configuration: scripts/airflow-env.sh (every variable can be overridden from the environment).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/airflow-env.sh"

AIRFLOW_BIN="${AIRFLOW_BIN:-$RECO_REPO/.venv/bin/airflow}"
PID_DIR="$AIRFLOW_HOME/pids"
LOG_DIR="$AIRFLOW_HOME/logs"
COMPONENTS=(api-server scheduler dag-processor)

running() { [ -f "$PID_DIR/$1.pid" ] && kill -0 "$(cat "$PID_DIR/$1.pid")" 2>/dev/null; }

args_of() {
  case "$1" in
    scheduler) echo "scheduler --skip-serve-logs" ;;
    *) echo "$1" ;;
  esac
}

admin_password() {
  local user="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS%%:*}"
  "$RECO_REPO/.venv/bin/python" - "$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE" "$user" <<'EOF'
import json, secrets, sys
from pathlib import Path
path, user = Path(sys.argv[1]), sys.argv[2]
passwords = json.loads(path.read_text()) if path.is_file() else {}
if user not in passwords:
    passwords[user] = secrets.token_urlsafe(12)
    path.write_text(json.dumps(passwords) + "\n")
    path.chmod(0o600)
print(passwords[user])
EOF
}

# Connection reco_serving for a local run: the API of `make serve` (RECO_SERVE_PID, RECO_SERVE_HOST,
# RECO_SERVE_PORT from the Makefile), with the ADMIN_KEY of this environment, which `make serve`
# reads too. Set only when the reload can work: an API started without ADMIN_KEY refuses /reload,
# and a refused reload rolls the promotion back. SERVING_STATUS says what was done and why (start
# prints it); without the connection, reload_serving and check_serving skip, saying why in their log.
connect_serving() {
  if [ -n "${AIRFLOW_CONN_RECO_SERVING:-}" ]; then
    SERVING_STATUS="reco_serving: AIRFLOW_CONN_RECO_SERVING of the environment"
    return 0
  fi
  local pid_file="${RECO_SERVE_PID:-$RECO_VAR/serve.pid}"
  local url="http://${RECO_SERVE_HOST:-127.0.0.1}:${RECO_SERVE_PORT:-8080}"
  local skipped="reload_serving and check_serving will be skipped (the API still follows run_current by itself)"
  if ! { [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }; then
    SERVING_STATUS="reco_serving: not set, make serve is not running: $skipped; to connect them: make stop, then ADMIN_KEY=... make serve and ADMIN_KEY=... make airflow"
    return 0
  fi
  if [ -z "${ADMIN_KEY:-}" ]; then
    SERVING_STATUS="reco_serving: not set, ADMIN_KEY is not in this environment and the API refuses /reload without it: $skipped; to connect them: make stop, then ADMIN_KEY=... make serve and ADMIN_KEY=... make airflow"
    return 0
  fi
  AIRFLOW_CONN_RECO_SERVING="$("$RECO_REPO/.venv/bin/python" -c '
import json, os, sys
host, port = sys.argv[1], int(sys.argv[2])
print(json.dumps({"conn_type": "http", "host": host, "port": port, "password": os.environ["ADMIN_KEY"]}))
' "${RECO_SERVE_HOST:-127.0.0.1}" "${RECO_SERVE_PORT:-8080}")"
  export AIRFLOW_CONN_RECO_SERVING
  SERVING_STATUS="reco_serving: the API of make serve on $url (pid $(cat "$pid_file")), with ADMIN_KEY: reloaded and checked after each promotion"
}

start() {
  mkdir -p "$PID_DIR" "$LOG_DIR"
  # One run per trigger, never a scheduled one besides: the UI's Trigger dialog unpauses the DAG
  # by default, and an unpaused @daily DAG gets its latest interval's run at once (two trainings,
  # two promotions). A local Airflow runs what is triggered; AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=True
  # brings the daily schedule back.
  export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-True}"
  export AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="${AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE:-False}"
  for name in "${COMPONENTS[@]}"; do
    if running "$name"; then
      echo "airflow $name already runs (pid $(cat "$PID_DIR/$name.pid")); make stop first" >&2
      exit 1
    fi
  done
  "$AIRFLOW_BIN" db migrate > "$LOG_DIR/db-migrate.log" 2>&1 || { tail -n 20 "$LOG_DIR/db-migrate.log"; exit 1; }
  local user="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS%%:*}" password
  password="$(admin_password)"
  connect_serving
  for name in "${COMPONENTS[@]}"; do
    # shellcheck disable=SC2046  # args_of gives the sub-command and its flags, split on purpose
    setsid "$AIRFLOW_BIN" $(args_of "$name") > "$LOG_DIR/$name.log" 2>&1 < /dev/null &
    echo $! > "$PID_DIR/$name.pid"
  done
  local url="$AIRFLOW__API__BASE_URL"
  for _ in $(seq 1 120); do
    for name in "${COMPONENTS[@]}"; do
      running "$name" || { tail -n 30 "$LOG_DIR/$name.log"; echo "airflow $name exited (log: $LOG_DIR/$name.log)" >&2; stop; exit 1; }
    done
    if (exec 3<>"/dev/tcp/$AIRFLOW__API__HOST/$AIRFLOW__API__PORT") 2>/dev/null; then
      echo "Airflow on $url (api-server, scheduler, dag-processor; logs in $LOG_DIR)"
      echo "login: $user / $password   (from $AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE)"
      echo "$SERVING_STATUS"
      if [ "$AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE" = "True" ]; then
        echo "DAGs: reco_training (daily once unpaused: unpausing starts the latest day's run), reco_rollback, reco_cleanup"
      else
        echo "DAGs: reco_training, reco_rollback, reco_cleanup: each runs when triggered, no daily schedule (AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=True for it)"
      fi
      echo "make stop stops Airflow"
      return 0
    fi
    sleep 0.5
  done
  echo "the Airflow API server did not answer on $url within 60 s (log: $LOG_DIR/api-server.log)" >&2
  stop
  exit 1
}

stop() {
  # SIGTERM every component's process group at once, then wait for all of them (20 s at most).
  local name pid pids=() names=()
  for name in "${COMPONENTS[@]}"; do
    [ -f "$PID_DIR/$name.pid" ] || continue
    pid="$(cat "$PID_DIR/$name.pid")"
    rm -f "$PID_DIR/$name.pid"
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
    names+=("$name")
  done
  if [ ${#pids[@]} -eq 0 ]; then
    echo "airflow: nothing runs (no live pid in $PID_DIR)"
    return 0
  fi
  for _ in $(seq 1 80); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.25
  done
  for i in "${!pids[@]}"; do
    if kill -0 "${pids[$i]}" 2>/dev/null; then
      kill -KILL -- "-${pids[$i]}" 2>/dev/null || true
      echo "stopped airflow ${names[$i]} (pid ${pids[$i]}, killed after 20 s)"
    else
      echo "stopped airflow ${names[$i]} (pid ${pids[$i]})"
    fi
  done
}

dags_test() {
  local dag="$1" conf="${2:-}" log="$LOG_DIR/dags-test-$1.log"
  [ -n "$conf" ] || conf='{}'
  mkdir -p "$LOG_DIR"
  "$AIRFLOW_BIN" db migrate > "$LOG_DIR/db-migrate.log" 2>&1 || { tail -n 20 "$LOG_DIR/db-migrate.log"; exit 1; }
  echo "airflow dags test $dag -c '$conf' (full log: $log)"
  set +e
  "$AIRFLOW_BIN" dags test "$dag" -c "$conf" 2>&1 | tee "$log" \
    | { grep --line-buffered -oE "end task task_id=[a-z_]+|reason=.*skipped'|AirflowFailException: .*|run_duration=[0-9.]+, state=[a-z]+" || true; }
  local rc="${PIPESTATUS[0]}"
  set -e
  [ "$rc" -eq 0 ] || echo "DAG $dag failed (exit $rc): see $log" >&2
  return "$rc"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  dags-test) shift; dags_test "$@" ;;
  *) echo "usage: $0 start | stop | dags-test DAG_ID [CONF_JSON]" >&2; exit 2 ;;
esac
