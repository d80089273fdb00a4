#!/usr/bin/env bash
# Start PostgreSQL and Redis for the tests if they are not answering.
set -euo pipefail
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  cluster=$(ls /etc/postgresql 2>/dev/null | head -n1)
  if [ -n "$cluster" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 -q || { echo "PostgreSQL is not running on 127.0.0.1:5432" >&2; exit 1; }
# Trust auth for local tests: make sure the postgres role answers over TCP.
psql -h 127.0.0.1 -U postgres -d postgres -Atc "select 1" >/dev/null 2>&1 || {
  echo "Cannot connect as postgres@127.0.0.1 (the tests expect trust auth)" >&2; exit 1; }
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null
