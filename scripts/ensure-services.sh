#!/usr/bin/env bash
# Makes sure PostgreSQL, Redis and RabbitMQ answer on this machine, starting any that do not
# with the node-svc machine's start commands, and waits until each one is ready.
set -euo pipefail

answers() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

wait_for() { # name host port seconds
  local name=$1 host=$2 port=$3 seconds=$4
  for _ in $(seq 1 "$seconds"); do
    if answers "$host" "$port"; then echo "$name answers on $host:$port"; return 0; fi
    sleep 1
  done
  echo "$name did not answer on $host:$port within ${seconds}s" >&2
  return 1
}

if ! answers 127.0.0.1 5432; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
fi
if ! answers 127.0.0.1 6379; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
if ! answers 127.0.0.1 5672; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached
fi

wait_for PostgreSQL 127.0.0.1 5432 60
wait_for Redis 127.0.0.1 6379 30
wait_for RabbitMQ 127.0.0.1 5672 120
# A listening port is not yet a ready broker: wait until RabbitMQ finishes booting.
if command -v rabbitmq-diagnostics >/dev/null; then
  rabbitmq-diagnostics -q check_running >/dev/null 2>&1 || rabbitmqctl -q await_startup --timeout 120
fi
