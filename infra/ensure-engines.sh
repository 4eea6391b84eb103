#!/usr/bin/env bash
# Starts the machine's PostgreSQL and Redis when they are installed but not running.
# (Kafka is started by the test run itself; the embedded TimescaleDB runs in-process.)
set -euo pipefail

pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }

if pg_up; then echo "PostgreSQL: already up on 127.0.0.1:5432"
elif command -v pg_ctlcluster >/dev/null 2>&1; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  for _ in $(seq 1 50); do pg_up && break; sleep 0.2; done
  pg_up && echo "PostgreSQL: started" || { echo "PostgreSQL did not come up" >&2; exit 1; }
else
  echo "PostgreSQL is not installed: apt-get install postgresql, or set TEST_POSTGRES_URL to a server" >&2; exit 1
fi

if redis_up; then echo "Redis: already up on 127.0.0.1:6379"
elif command -v redis-server >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 50); do redis_up && break; sleep 0.2; done
  redis_up && echo "Redis: started" || { echo "Redis did not come up" >&2; exit 1; }
else
  echo "Redis is not installed: apt-get install redis-server, or set TEST_REDIS_URL" >&2; exit 1
fi
