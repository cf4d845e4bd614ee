#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on localhost; start them when this machine has
# them installed but stopped, and say exactly what is missing otherwise.
set -u

start_postgres() {
  command -v pg_ctlcluster >/dev/null 2>&1 || return 1
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$version" ] || return 1
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
}

start_redis() {
  command -v redis-server >/dev/null 2>&1 || return 1
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
}

wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 30); do
    eval "$check" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "$what did not come up on localhost." >&2
  return 1
}

postgres_up='pg_isready -q -h 127.0.0.1 -p 5432'
redis_up='[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]'

if ! eval "$postgres_up" >/dev/null 2>&1; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it."
  start_postgres || {
    echo "PostgreSQL is not installed here: install it (apt-get install postgresql)" \
      "or point DATABASE_URL at a running server." >&2
    exit 1
  }
  wait_for PostgreSQL "$postgres_up" || exit 1
fi

if ! eval "$redis_up" >/dev/null 2>&1; then
  echo "Redis is not answering on 127.0.0.1:6379; starting it."
  start_redis || {
    echo "Redis is not installed here: install it (apt-get install redis-server)." >&2
    exit 1
  }
  wait_for Redis "$redis_up" || exit 1
fi
