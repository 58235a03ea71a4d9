#!/usr/bin/env bash
# Prepares a Debian 12 machine (run as root) for `mvn test`: installs the real services the tests use
# (docker-registry = CNCF distribution 2.8, skopeo, wrk, chromium + chromium-driver for the web UI's browser tests,
# haproxy for the cluster tests, MariaDB if absent), starts PostgreSQL on
# 127.0.0.1:5432 and MariaDB on 127.0.0.1:3306, and makes sure database `test` exists on both.
# Idempotent: on a prepared machine it only checks and prints one line per step.
set -euo pipefail

PG_HOST=127.0.0.1 PG_PORT=5432
MY_HOST=127.0.0.1 MY_PORT=3306
WAIT_SECONDS=30

step() { printf '[prepare-test-env] %s\n' "$*"; }

port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

apt_updated=false
apt_install() {
  if [[ "$apt_updated" == false ]]; then
    apt-get update -qq
    apt_updated=true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# 1. registry, skopeo, wrk, haproxy (the load balancer of the cluster tests; they start their own instances)
missing=()
for tool in docker-registry skopeo wrk /usr/sbin/haproxy; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$(basename "$tool")")
done
if ((${#missing[@]})); then
  step "installing docker-registry skopeo wrk haproxy (missing: ${missing[*]})"
  apt_install docker-registry skopeo wrk haproxy
else
  step "docker-registry, skopeo, wrk, haproxy present"
fi

# 1b. Debian's Chromium and its driver: the web UI's Selenium tests drive them headless (no browser download)
if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
  step "chromium, chromedriver present"
else
  step "installing chromium chromium-driver"
  apt_install --no-install-recommends chromium chromium-driver
fi

# 2. the package's own registry instance (port 5000) must not run: the tests start their own registries.
if [[ -e /etc/init.d/docker-registry || -e /lib/systemd/system/docker-registry.service ]]; then
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
  elif command -v update-rc.d >/dev/null 2>&1; then
    update-rc.d docker-registry disable >/dev/null 2>&1 || true
  fi
fi
stopped=()
for pid in $(pgrep -x docker-registry || true); do
  # only the package daemon (it serves /etc/docker/registry/config.yml); test fixtures use temp configs
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q '/etc/docker/registry/'; then
    kill "$pid" 2>/dev/null && stopped+=("$pid")
  fi
done
if ((${#stopped[@]})); then
  step "stopped the docker-registry package daemon (pid ${stopped[*]})"
else
  step "no docker-registry package daemon running"
fi

# 3. PostgreSQL
if port_open "$PG_HOST" "$PG_PORT"; then
  step "PostgreSQL already accepting connections on $PG_HOST:$PG_PORT"
else
  if [[ ! -d /etc/postgresql ]] || [[ -z "$(ls -A /etc/postgresql)" ]]; then
    step "installing postgresql"
    apt_install postgresql
  fi
  pg_version=$(ls /etc/postgresql | sort -V | tail -n 1)
  step "starting PostgreSQL $pg_version/main"
  pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start || true
fi

# 4. MariaDB
if port_open "$MY_HOST" "$MY_PORT"; then
  step "MariaDB already accepting connections on $MY_HOST:$MY_PORT"
else
  if [[ ! -x /usr/sbin/mariadbd ]]; then
    step "installing mariadb-server"
    apt_install mariadb-server
  fi
  install -d -o mysql -g mysql /run/mysqld
  step "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi

# 5. wait (bounded) for both
deadline=$((SECONDS + WAIT_SECONDS))
for service in "PostgreSQL $PG_HOST $PG_PORT" "MariaDB $MY_HOST $MY_PORT"; do
  read -r name host port <<<"$service"
  until port_open "$host" "$port"; do
    if ((SECONDS >= deadline)); then
      step "ERROR: $name did not accept connections on $host:$port within ${WAIT_SECONDS}s" >&2
      exit 1
    fi
    sleep 0.5
  done
done
until pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; do
  ((SECONDS < deadline)) || { step "ERROR: pg_isready failed on $PG_HOST:$PG_PORT" >&2; exit 1; }
  sleep 0.5
done
until mariadb-admin -h"$MY_HOST" -P"$MY_PORT" -uroot --silent ping >/dev/null 2>&1; do
  ((SECONDS < deadline)) || { step "ERROR: mariadb-admin ping failed on $MY_HOST:$MY_PORT" >&2; exit 1; }
  sleep 0.5
done
step "PostgreSQL and MariaDB are up"

# 6. database `test` on both
if [[ "$(psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'")" == 1 ]]; then
  step "PostgreSQL database test exists"
else
  psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -qc 'CREATE DATABASE test'
  step "PostgreSQL database test created"
fi
if [[ -n "$(mariadb -h"$MY_HOST" -P"$MY_PORT" -uroot -N -e "SHOW DATABASES LIKE 'test'")" ]]; then
  step "MariaDB database test exists"
else
  mariadb -h"$MY_HOST" -P"$MY_PORT" -uroot -e 'CREATE DATABASE IF NOT EXISTS test'
  step "MariaDB database test created"
fi

step "ready"
