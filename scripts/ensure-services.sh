#!/usr/bin/env bash
# Start the local PostgreSQL and MariaDB servers the integration tests use, if they are down.
# Anything missing or still down is a failure that names it (exit 1): the tests marked
# postgres/mariadb would otherwise skip quietly, and a run would look green without them.
set -uo pipefail
MARIADBD=/usr/sbin/mariadbd
missing=()
for tool in pg_isready pg_ctlcluster mariadb-admin; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -x "$MARIADBD" ] || missing+=("$MARIADBD")
[ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql)" ] || missing+=("a PostgreSQL cluster (/etc/postgresql)")
if [ ${#missing[@]} -gt 0 ]; then
  printf 'ensure-services: missing: %s\n' "${missing[*]}" >&2
  echo "ensure-services: install them with: bash scripts/install-system-deps.sh (Debian packages postgresql, postgresql-client, mariadb-server, mariadb-client)" >&2
  exit 1
fi
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432; }
my_up() { mariadb-admin -uroot -h 127.0.0.1 ping >/dev/null 2>&1; }
if ! pg_up; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if ! my_up; then
  echo "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec "$MARIADBD" || true
fi
for _ in $(seq 1 30); do
  pg_up && my_up && exit 0
  sleep 1
done
down=()
pg_up || down+=("PostgreSQL (127.0.0.1:5432)")
my_up || down+=("MariaDB (127.0.0.1:3306)")
echo "ensure-services: still down after 30 s: ${down[*]}; the tests marked postgres/mariadb need them" >&2
exit 1
