#!/usr/bin/env bash
# Debian packages the code and tests need: unixODBC and the MariaDB/PostgreSQL ODBC drivers
# (pyodbc loads them at run time), and Chromium, which Playwright drives in the browser tests
# (tests/e2e/serving: /usr/bin/chromium; Playwright's own browser download cannot work offline).
# wrk: the load generator of bench/serving_load.py, bench/serving_soak.py and the short soak test.
# The PostgreSQL and MariaDB servers and clients the database tests use (scripts/ensure-services.sh
# starts them), and python3-venv, which `python3 -m venv` needs on Debian. g++: pip compiles the
# ranking's kernels (reco_core/ranking/kernels.pyx, C++) and rectools-lightfm (C) when it installs.
# Installs only what is missing.
set -euo pipefail
PACKAGES=(unixodbc odbc-mariadb odbc-postgresql chromium wrk postgresql postgresql-client mariadb-server
  mariadb-client python3-venv g++)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "Debian packages: all present"; exit 0; fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages: ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
