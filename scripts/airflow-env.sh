# Every Airflow setting of this repo, in one place. Sourced (`. scripts/airflow-env.sh`) by the
# Makefile targets (demo, airflow, stop) and by the tests, never executed.
#
# Each variable keeps a value already present in the environment: a test points AIRFLOW_HOME, the
# artifact root or the connections elsewhere, a deployment puts its own database and secrets.
# Defaults: everything under var/ (SQLite metadata in var/airflow), the demo warehouse, no serving
# connection (reload skipped; `make airflow` connects the API of `make serve`: airflow-local.sh), no
# SMTP connection (alerts only logged).

RECO_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RECO_VAR="${RECO_VAR:-$RECO_REPO/var}"

export AIRFLOW_HOME="${AIRFLOW_HOME:-$RECO_VAR/airflow}"
mkdir -p "$AIRFLOW_HOME"
export AIRFLOW__CORE__DAGS_FOLDER="${AIRFLOW__CORE__DAGS_FOLDER:-$RECO_REPO/dags}"
export AIRFLOW__CORE__LOAD_EXAMPLES="${AIRFLOW__CORE__LOAD_EXAMPLES:-False}"
export AIRFLOW__CORE__EXECUTOR="${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-2}"  # 2 cores: one training at a time anyway
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite:///$AIRFLOW_HOME/airflow.db}"

# Local components: API server on 127.0.0.1 (the serving API owns 8080), simple auth manager.
export AIRFLOW_API_PORT="${AIRFLOW_API_PORT:-8090}"
export AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-127.0.0.1}"
export AIRFLOW__API__PORT="${AIRFLOW__API__PORT:-$AIRFLOW_API_PORT}"
export AIRFLOW__API__BASE_URL="${AIRFLOW__API__BASE_URL:-http://127.0.0.1:$AIRFLOW__API__PORT}"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="${AIRFLOW__CORE__EXECUTION_API_SERVER_URL:-http://127.0.0.1:$AIRFLOW__API__PORT/execution/}"
export AIRFLOW__CORE__AUTH_MANAGER="${AIRFLOW__CORE__AUTH_MANAGER:-airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager}"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS:-admin:admin}"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:-$AIRFLOW_HOME/passwords.json}"
# Every component must sign and check the execution API's tokens with the same secret: one per
# AIRFLOW_HOME, generated once.
if [ -z "${AIRFLOW__API_AUTH__JWT_SECRET:-}" ]; then
  [ -s "$AIRFLOW_HOME/jwt_secret" ] || (umask 077 && head -c 32 /dev/urandom | base64 > "$AIRFLOW_HOME/jwt_secret")
  AIRFLOW__API_AUTH__JWT_SECRET="$(cat "$AIRFLOW_HOME/jwt_secret")"
  export AIRFLOW__API_AUTH__JWT_SECRET
fi

# reco-materiaux: paths (Variables reco_artifact_root / reco_data_dir override these) and connections.
export RECO_ARTIFACT_ROOT="${RECO_ARTIFACT_ROOT:-$RECO_REPO/artifacts}"
export RECO_DATA_DIR="${RECO_DATA_DIR:-$RECO_VAR/data}"
export AIRFLOW_CONN_RECO_WAREHOUSE="${AIRFLOW_CONN_RECO_WAREHOUSE:-sqlite:///$RECO_VAR/warehouse.db}"
# Not set by default: AIRFLOW_CONN_RECO_SERVING='http://:ADMIN_KEY@127.0.0.1:8080' (reload + check),
# AIRFLOW_CONN_SMTP_DEFAULT='{"conn_type":"smtp","host":...,"extra":{"from_email":...}}' (alert e-mails),
# RECO_ALERT_EMAILS='a@example.com,b@example.com'.
