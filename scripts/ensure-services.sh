#!/usr/bin/env bash
# Start the local PostgreSQL and MariaDB servers the integration tests use, if they are down.
set -uo pipefail
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if command -v mariadb-admin >/dev/null && ! mariadb-admin -uroot -h 127.0.0.1 ping >/dev/null 2>&1; then
  echo "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
for _ in $(seq 1 30); do
  pg_ok=1; my_ok=1
  command -v pg_isready >/dev/null && { pg_isready -q -h 127.0.0.1 -p 5432 || pg_ok=0; }
  command -v mariadb-admin >/dev/null && { mariadb-admin -uroot -h 127.0.0.1 ping >/dev/null 2>&1 || my_ok=0; }
  [ $pg_ok -eq 1 ] && [ $my_ok -eq 1 ] && exit 0
  sleep 1
done
echo "warning: a database server is still down; tests marked postgres/mariadb will be skipped" >&2
exit 0
