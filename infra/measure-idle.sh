#!/usr/bin/env bash
# Idle and start figures of `npm start` (#23), as BENCHMARKS.md "Idle and start" reports them:
#   time to the banner, CPU of the stack's process (all its threads, from /proc) over a window
#   after a settle time, its VmRSS, and SIGTERM → exit; cold (a new data directory) and restart
#   (the same one again); and `npm start -- --help`.
#
#   bash infra/measure-idle.sh                 # cold + restart + --help, 20 s settle, 60 s window
#   SETTLE=20 WINDOW=60 RUNS="cold restart" bash infra/measure-idle.sh
#   START="node --import tsx services/stack/src/main.ts" bash infra/measure-idle.sh   # another command
#
# On a shared machine the wall times follow the load average; the CPU seconds beside them do not
# as much (to the banner: the stack's process and the children it waited for).
#
# Ports are moved off the defaults (other stacks may run on the machine); the data directory is a
# new temporary one (DATA_DIR: that one instead), removed at the end (KEEP=1 keeps it). Prints one line per run, and the load
# average before and after each.
set -euo pipefail
cd "$(dirname "$0")/.."

START=${START:-npm start --silent}
SETTLE=${SETTLE:-20}
WINDOW=${WINDOW:-60}
RUNS=${RUNS:-cold restart help}
BASE=${BASE_PORT:-$((20000 + RANDOM % 20000))}
TMP=$(mktemp -d /tmp/measure-idle.XXXXXX)
DATA=${DATA_DIR:-$TMP/data}
HZ=$(getconf CLK_TCK)
export HTTP_PORT=$BASE MQTT_PORT=$((BASE + 1)) MQTT_WS_PORT=$((BASE + 2)) METRICS_PORT=$((BASE + 3))
export MQTT_TLS_PORT=-1 DATA_DIR=$DATA LOG_LEVEL=${LOG_LEVEL:-warn}
unset KAFKA_BROKERS DATABASE_URL REDIS_URL SMTP_URL

now() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }
# utime + stime (clock ticks) of a process: the kernel sums every thread of it
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# CPU seconds a process and its waited-for children (a dashboard build) spent so far
cpu_s() { awk -v hz="$HZ" '{ printf "%.1f", ($14 + $15 + $16 + $17) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# the stack's process: the largest node process of the session (npm, sh and bootstrap are small)
stack_pid() {
  ps -o pid=,sid=,rss=,comm= -e | awk -v sid="$1" '$2 == sid && $4 == "node" && $3 > m { m = $3; p = $1 } END { print p }'
}

run() {
  local label=$1 out t0 t1 pid sid c0 c1 rss t2 t3 l0 l1 cs
  out=$(mktemp /tmp/measure-idle.out.XXXXXX)
  l0=$(load)
  t0=$(now)
  setsid bash -c "$START" >"$out" 2>&1 &
  sid=$!
  until grep -q 'Telemetry is running' "$out"; do
    if ! kill -0 "$sid" 2>/dev/null; then
      echo "$label: exited before the banner:" >&2
      cat "$out" >&2
      return 1
    fi
    sleep 0.1
  done
  t1=$(now)
  pid=$(stack_pid "$sid")
  cs=$(cpu_s "$pid")
  sleep "$SETTLE"
  c0=$(ticks "$pid")
  sleep "$WINDOW"
  c1=$(ticks "$pid")
  rss=$(rss_mb "$pid")
  t2=$(now)
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  t3=$(now)
  wait "$sid" 2>/dev/null || true
  l1=$(load)
  awk -v l="$label" -v b="$(echo "$t1 - $t0" | bc)" -v c="$(((c1 - c0)))" -v hz="$HZ" -v w="$WINDOW" \
    -v r="$rss" -v s="$(echo "$t3 - $t2" | bc)" -v l0="$l0" -v l1="$l1" -v cs="$cs" \
    'BEGIN { printf "%-8s banner %6.1f s (CPU %4.1f s)   idle CPU %5.1f %% of a core   RSS %4d MB   stop %4.1f s   load %s-%s\n", l, b, cs, 100 * c / hz / w, r, s, l0, l1 }'
  if grep -qiE 'error|fail' "$out"; then grep -iE 'error|fail' "$out" | head -5 | sed "s/^/  $label log: /"; fi
  [[ -n ${VERBOSE:-} ]] && sed "s/^/  $label: /" "$out"
  rm -f "$out"
}

help_time() {
  local l0 times
  l0=$(load)
  times=$({ TIMEFORMAT='%R %U %S' && time bash -c "$START -- --help" >/dev/null; } 2>&1)
  awk -v t="$times" -v l="$l0" 'BEGIN { split(t, a, " "); printf "help     %6.2f s (CPU %4.2f s)   load %s\n", a[1], a[2] + a[3], l }'
}

for r in $RUNS; do
  case $r in
  cold) rm -rf "$DATA" && run cold ;;
  restart) run restart ;;
  help) help_time ;;
  *) echo "unknown run $r" >&2 && exit 2 ;;
  esac
done
[[ -n ${KEEP:-} ]] || rm -rf "$TMP"
