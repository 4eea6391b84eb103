#!/usr/bin/env bash
# A real single-node Apache Kafka 3.9 (KRaft, combined broker+controller) from Maven Central jars,
# for development and tests. No Docker, no tarball: `mvn dependency:copy-dependencies` on pom.xml.
#
#   kafka.sh start    start a fresh broker on $KAFKA_PORT (default 19092); data wiped each start
#   kafka.sh stop     SIGTERM, wait, then SIGKILL
#   kafka.sh status   running or not (exit 0 / 3)
#   kafka.sh fetch    only resolve the jars into .cache/libs
#
# Env: KAFKA_PORT, KAFKA_START_TIMEOUT (s, default 60), KAFKA_HEAP_OPTS (default -Xms128m -Xmx512m),
#      KAFKA_JVM_OPTS (default: quick-start flags, see below), KAFKA_OWNER_PID (stop the broker
#      when that process is gone; the test global setup passes its own pid).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="$HERE/.cache"
LIBS="$CACHE/libs"
PORT="${KAFKA_PORT:-19092}"
DATA="$CACHE/data-$PORT"
PIDFILE="$CACHE/kafka-$PORT.pid"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
# Quick start over peak throughput: C1 only and the serial GC take about a third off a start on
# 2 cores (measured: 4.6-5.6 s vs 6.1-8.9 s with G1 and C2, under load).
# For benchmarks set KAFKA_JVM_OPTS='-XX:+UseG1GC' (or anything) to get the full JIT back.
JVM_OPTS="${KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true}"

die() { echo "kafka.sh: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }

require_java() {
  command -v java >/dev/null 2>&1 ||
    die "java not found. Kafka needs a Java 17+ runtime: apt-get install openjdk-17-jre-headless maven"
}

# The jars are cached with the hash of pom.xml: editing the pom re-resolves, otherwise no Maven at all.
fetch() {
  local stamp="$LIBS/.pom-sha256" want
  want="$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && return 0
  command -v mvn >/dev/null 2>&1 ||
    die "mvn not found; it resolves the Kafka jars once. Install: apt-get install openjdk-17-jre-headless maven"
  mkdir -p "$CACHE"
  # Two starts at once (test run + dev) must not both write the libs folder.
  exec 9>"$CACHE/fetch.lock"
  flock 9
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "kafka.sh: resolving Kafka jars from Maven Central into $LIBS" >&2
    rm -rf "$LIBS.tmp"
    # Output to a file: Maven 3.8 prints stray ANSI resets even in quiet batch mode.
    mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$LIBS.tmp" >"$CACHE/mvn.log" 2>&1 ||
      { cat "$CACHE/mvn.log" >&2; die "mvn could not resolve the Kafka jars (output above)"; }
    rm -rf "$LIBS" && mv "$LIBS.tmp" "$LIBS" && echo "$want" >"$stamp"
  fi
  flock -u 9
}

# Class-data sharing: the first broker dumps the classes it loaded when it stops cleanly, every later
# start maps them (broker ready in ~1.2 s instead of ~1.9 s). Keyed by JDK: another JVM build would
# just ignore the archive. Lives in libs/, so re-resolving the jars drops it.
cds_archive() { echo "$LIBS/.broker-$(readlink -f "$(command -v java)" | cksum | cut -d' ' -f1).jsa"; }
cds_opts() {
  local jsa; jsa="$(cds_archive)"
  if [[ -f "$jsa" ]]; then echo "-XX:SharedArchiveFile=$jsa"; else echo "-XX:ArchiveClassesAtExit=$DATA/broker.jsa"; fi
}
cds_keep() { [[ -s "$DATA/broker.jsa" ]] && mv -f "$DATA/broker.jsa" "$(cds_archive)" 2>/dev/null || true; }

pid_alive() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local p
  for _ in $(seq 1 50); do
    # below the ephemeral range (32768+), where a client's self-connect could take the port
    p=$((20000 + RANDOM % 12000))
    port_open "$p" || { echo "$p"; return 0; }
  done
  die "no free port found for the controller"
}

# Kafka's Uuid: 16 random bytes, URL-safe base64 without padding, never starting with '-'.
random_cluster_id() {
  local id
  while :; do
    id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    [[ "$id" != -* ]] && { echo "$id"; return 0; }
  done
}

# One request/response over /dev/tcp (header v1, non-flexible versions). Prints the response body
# (after the size field) as hex. Arguments: api key, api version, body; all as hex strings.
kafka_rpc() {
  local req="$1$2"0000000100046b736873"$3" # correlation id 1, client id "kssh" (kafka.sh)
  local frame bytes
  frame="$(printf '%08x' $((${#req} / 2)))$req"
  bytes="$(sed 's/../\\x&/g' <<<"$frame")"
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "$2" >&3
    size=$((16#$(head -c4 <&3 | od -An -tx1 | tr -d " \n")))
    head -c "$size" <&3 | od -An -v -tx1 | tr -d " \n"' _ "$PORT" "$bytes" 2>/dev/null
}

# Ready = a Metadata request lists a broker, a group coordinator is available, and an idempotent
# producer can get its id. FindCoordinator creates __consumer_offsets now, so the first consumer
# group of a test run does not pay for it; InitProducerId answers "loading" for a moment after start.
broker_ready() {
  local md fc ip
  md="$(kafka_rpc 0003 0000 00000000)" || return 1 # Metadata v0, all topics
  [[ ${#md} -ge 16 && "${md:8:8}" != "00000000" ]] || return 1
  fc="$(kafka_rpc 000a 0000 00056b73726479)" || return 1 # FindCoordinator v0, group "ksrdy"
  [[ ${#fc} -ge 12 && "${fc:8:4}" == "0000" ]] || return 1
  ip="$(kafka_rpc 0016 0000 ffff00007530)" || return 1 # InitProducerId v0, no transactional id
  [[ ${#ip} -ge 20 && "${ip:16:4}" == "0000" ]]            # after correlation id and throttle time
}

# Brokers killed without `stop` (a test run interrupted before its teardown) leave their data dir
# and pid file behind; drop those of brokers not running any more once they are an hour old.
prune() {
  local d p pidfile
  for d in "$CACHE"/data-*; do
    [[ -d "$d" ]] || continue
    p="${d##*/data-}"
    pidfile="$CACHE/kafka-$p.pid"
    [[ "$p" == "$PORT" ]] && continue
    [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && continue
    if [[ -n "$(find "$d" -maxdepth 0 -mmin +60)" ]]; then rm -rf "$d" "$pidfile" "$CACHE/start-$p.lock"; fi
  done
}

write_config() {
  local cport="$1"
  cat >"$DATA/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA/kraft
# Single node: internal topics cannot have more replicas than brokers.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Few internal partitions: creating 50 of them is most of a cold first consumer group join.
offsets.topic.num.partitions=4
transaction.state.log.num.partitions=4
# Tests join groups constantly; the 3 s default delay would be in every one of them.
group.initial.rebalance.delay.ms=0
# Let test clients use short session timeouts (broker default minimum is 6 s).
group.min.session.timeout.ms=1000
num.partitions=1
# The bus creates its topics (ensureTopics) with the configured partition count.
auto.create.topics.enable=false
# 2 cores: the defaults (3 network, 8 io threads) only add context switches.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
}

start() {
  require_java
  mkdir -p "$CACHE"
  # Two starts on one port (two terminals, two test runs) queue here; the second finds it running.
  exec 8>"$CACHE/start-$PORT.lock"
  flock 8
  if pid_alive && port_open "$PORT"; then
    echo "kafka.sh: already running on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"
    return 0
  fi
  port_open "$PORT" && die "port $PORT is in use by another process; pick another KAFKA_PORT"
  local t0 cport cp cds
  t0="$(now_ms)"
  fetch
  cp="$LIBS/*"
  cds="$(cds_opts)"
  prune
  rm -rf "$DATA" && mkdir -p "$DATA/kraft"
  cport="$(free_port)"
  write_config "$cport"
  # Fresh storage every start: tests isolate by topic name, a dev broker starts clean.
  # shellcheck disable=SC2086
  java $HEAP_OPTS $JVM_OPTS ${cds/*ArchiveClassesAtExit*/} -Dlog4j.configuration="file:$HERE/log4j.properties" -Dkafka.logs.dir="$DATA" \
    -cp "$cp" kafka.tools.StorageTool format -t "$(random_cluster_id)" -c "$DATA/server.properties" \
    >"$DATA/format.out" 2>&1 || { cat "$DATA/format.out" >&2; die "StorageTool format failed"; }
  # setsid: the broker must outlive the shell (and the test runner's process group) that started it.
  # 8>&- 9>&-: it must not inherit the lock files' descriptors, or it would hold the start lock forever.
  # shellcheck disable=SC2086
  setsid nohup java $HEAP_OPTS $JVM_OPTS $cds -Dlog4j.configuration="file:$HERE/log4j.properties" \
    -Dkafka.logs.dir="$DATA" -cp "$cp" kafka.Kafka "$DATA/server.properties" \
    >"$DATA/stdout.log" 2>&1 </dev/null 8>&- 9>&- &
  echo $! >"$PIDFILE"
  if [[ -n "${KAFKA_OWNER_PID:-}" ]]; then
    # A test run killed before its teardown (Ctrl-C, OOM) must not leave its broker running forever.
    setsid nohup bash -c 'while kill -0 "$1" && kill -0 "$2"; do sleep 2; done 2>/dev/null; kill -0 "$1" || kill -TERM "$2"' \
      _ "$KAFKA_OWNER_PID" "$(cat "$PIDFILE")" >/dev/null 2>&1 </dev/null 8>&- 9>&- &
  fi
  local deadline=$(($(date +%s) + START_TIMEOUT))
  until port_open "$PORT" && broker_ready; do
    if ! pid_alive; then
      tail -n 30 "$DATA/stdout.log" "$DATA/server.log" >&2 2>/dev/null || true
      rm -f "$PIDFILE"
      die "broker exited during start (logs above; full log: $DATA/server.log)"
    fi
    if (($(date +%s) > deadline)); then
      tail -n 30 "$DATA/server.log" >&2 2>/dev/null || true
      stop >&2
      die "broker not ready after ${START_TIMEOUT}s (log: $DATA/server.log)"
    fi
    sleep 0.1
  done
  echo "kafka.sh: Kafka 3.9 ready at 127.0.0.1:$PORT in $(($(now_ms) - t0)) ms (pid $(cat "$PIDFILE"), log $DATA/server.log)"
}

stop() {
  if ! pid_alive; then
    rm -f "$PIDFILE"
    echo "kafka.sh: not running on port $PORT"
    return 0
  fi
  local pid
  pid="$(cat "$PIDFILE")"
  kill -TERM "$pid" 2>/dev/null || true
  # A clean KRaft shutdown flushes logs and the metadata snapshot; give it 20 s before SIGKILL.
  for _ in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    echo "kafka.sh: broker on port $PORT did not stop in 20 s, killed (pid $pid)"
  else
    echo "kafka.sh: stopped broker on port $PORT (pid $pid)"
    cds_keep
  fi
  rm -f "$PIDFILE"
}

status() {
  if pid_alive && port_open "$PORT"; then
    echo "kafka.sh: running on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"
  elif pid_alive; then
    echo "kafka.sh: process $(cat "$PIDFILE") alive but port $PORT not serving"; return 3
  else
    echo "kafka.sh: not running on port $PORT"; return 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  fetch) require_java; fetch; echo "kafka.sh: jars in $LIBS" ;;
  *) echo "usage: kafka.sh start|stop|status|fetch  (port: KAFKA_PORT, default 19092)" >&2; exit 2 ;;
esac
