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

start() {
  mkdir -p "$PID_DIR" "$LOG_DIR"
  for name in "${COMPONENTS[@]}"; do
    if running "$name"; then
      echo "airflow $name already runs (pid $(cat "$PID_DIR/$name.pid")); make stop first" >&2
      exit 1
    fi
  done
  "$AIRFLOW_BIN" db migrate > "$LOG_DIR/db-migrate.log" 2>&1 || { tail -n 20 "$LOG_DIR/db-migrate.log"; exit 1; }
  local user="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS%%:*}" password
  password="$(admin_password)"
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
      echo "DAGs: reco_training (daily, paused until you unpause it), reco_rollback, reco_cleanup; make stop stops Airflow"
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
