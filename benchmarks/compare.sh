#!/usr/bin/env bash
# Stampede against RabbitMQ Web-STOMP on this machine, in one run: every scenario of issue 5
# runs against each broker in turn (RabbitMQ, then Stampede), with the same generator
# (stampede-bench), then the tables go into docs/benchmarks.md between the compare.sh markers.
#
#   benchmarks/compare.sh [--profile]
#
# Environment: DURATION (seconds per run, default 10), BUILD (build dir, default build-bench),
# ONLY=queues (just the queue cases against both brokers, printed, docs left alone),
# IDLE_STAMPEDE / IDLE_RABBIT (idle-connection counts, default 50000 or what the hard
# RLIMIT_NOFILE allows / 10000), DOC.
# --profile also records `perf` call graphs of Stampede on fanout 1->1000 and rooms 1000x10.
#
# It installs rabbitmq-server from Debian when missing (apt-get), starts RabbitMQ with its own
# mnesia/log directories under a temporary directory (Web-STOMP 15674, STOMP 61613, AMQP 5672,
# all on 127.0.0.1), starts Stampede on ports it picks itself (port 0) and a private
# redis-server for the relay, and stops everything it started on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
DURATION=${DURATION:-10}
DOC=${DOC:-$ROOT/docs/benchmarks.md}
# Each process may hold at most the hard RLIMIT_NOFILE (no CAP_SYS_RESOURCE in containers).
FD_LIMIT=$(ulimit -Hn)
[[ $FD_LIMIT == unlimited ]] && FD_LIMIT=1048576
((FD_LIMIT > 200000)) && FD_LIMIT=200000
IDLE_MAX=$((FD_LIMIT - 1000))
IDLE_STAMPEDE=${IDLE_STAMPEDE:-$((IDLE_MAX < 50000 ? IDLE_MAX : 50000))}
IDLE_RABBIT=${IDLE_RABBIT:-10000}
PROFILE=0
[[ ${1:-} == --profile ]] && PROFILE=1

WORK=$(mktemp -d /tmp/stampede-compare.XXXXXX)
RESULTS=$WORK/results.jsonl
COMMANDS=$WORK/commands.txt
BENCH=$BUILD/stampede-bench
RMQ_NODE=stampede-bench@localhost
RMQ_BIN=/usr/lib/rabbitmq/bin
STARTED_PIDS=()
RMQ_PID=""
EPMD_STARTED=0
T0=$(date +%s)

log() { printf '[compare %4ss] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }

# ------------------------------------------------------------------------------------------
# Cleanup: only what this script started, by pid.
cleanup() {
    set +e
    for pid in "${STARTED_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    log "stopping what this script started"
    if [[ -n $RMQ_PID ]]; then
        HOME=$WORK/rabbit/home timeout 20 "$RMQ_BIN/rabbitmqctl" -n "$RMQ_NODE" stop \
            "$WORK/rabbit/pid" >/dev/null 2>&1
        kill -0 "$RMQ_PID" 2>/dev/null && kill -KILL "$RMQ_PID" 2>/dev/null
    fi
    for pid in "${STARTED_PIDS[@]}"; do
        for _ in $(seq 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    done
    if ((EPMD_STARTED)); then
        epmd=$(ls /usr/lib/erlang/erts-*/bin/epmd 2>/dev/null | head -1)
        [[ -n $epmd ]] && "$epmd" -kill >/dev/null 2>&1
    fi
    log "stopped everything; raw results in $WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------------------------------
# Build
log "building stampede, stampede-bench and the microbenchmarks in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSTAMPEDE_TESTS=OFF \
    -DSTAMPEDE_BENCHMARKS=ON >"$WORK/cmake.log"
cmake --build "$BUILD" --target stampede stampede-bench parser_bench writer_bench router_bench jwt_bench \
    -j"$(nproc)" >>"$WORK/cmake.log"

# ------------------------------------------------------------------------------------------
# RabbitMQ
if [[ ! -x $RMQ_BIN/rabbitmq-server ]]; then
    log "installing rabbitmq-server from Debian"
    # Debian starts the service on install; we run our own instance instead.
    policy_added=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        policy_added=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rabbitmq-server
    ((policy_added)) && rm -f /usr/sbin/policy-rc.d
fi

start_rabbitmq() {
    local dir=$WORK/rabbit
    mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
    head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$dir/home/.erlang.cookie"
    chmod 400 "$dir/home/.erlang.cookie"
    echo '[rabbitmq_stomp,rabbitmq_web_stomp].' >"$dir/enabled_plugins"
    cat >"$dir/rabbitmq.conf" <<'EOF'
listeners.tcp.default = 127.0.0.1:5672
stomp.listeners.tcp.1 = 127.0.0.1:61613
web_stomp.tcp.ip = 127.0.0.1
web_stomp.tcp.port = 15674
log.console = false
log.file.level = warning
EOF
    local epmd
    epmd=$(ls /usr/lib/erlang/erts-*/bin/epmd | head -1)
    "$epmd" -names >/dev/null 2>&1 || EPMD_STARTED=1
    (
        ulimit -n "$FD_LIMIT"
        cd "$dir"
        exec env HOME="$dir/home" RABBITMQ_NODENAME="$RMQ_NODE" RABBITMQ_MNESIA_BASE="$dir/mnesia" \
            RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
            RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_PID_FILE="$dir/pid" \
            RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 ERL_EPMD_ADDRESS=127.0.0.1 \
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
            "$RMQ_BIN/rabbitmq-server" >"$dir/stdout" 2>&1
    ) &
    STARTED_PIDS+=($!)
    HOME=$dir/home timeout 120 "$RMQ_BIN/rabbitmqctl" -n "$RMQ_NODE" wait "$dir/pid" >/dev/null
    RMQ_PID=$(cat "$dir/pid")
    log "RabbitMQ $(dpkg-query -W -f='${Version}' rabbitmq-server) up, beam pid $RMQ_PID"
}

# ------------------------------------------------------------------------------------------
# Stampede: start_stampede NAME SHARDS [EXTRA-YAML]; sets <NAME>_PID, <NAME>_WS, <NAME>_TCP.
start_stampede() {
    local name=$1 shards=$2 extra=${3:-}
    local config=$WORK/$name.yaml logf=$WORK/$name.log
    cat >"$config" <<EOF
node: { id: "$name", shards: $shards }
listeners:
  - { name: web, protocol: ws, host: 127.0.0.1, port: 0, path: /ws }
  - { name: backend, protocol: tcp, host: 127.0.0.1, port: 0 }
limits:
  max_pending_bytes_per_connection: 67108864
  max_queue_messages: 10000000
auth: { anonymous: true }
logging: { level: info }
shutdown: { drain_s: 2 }
$extra
EOF
    (
        ulimit -n "$FD_LIMIT"
        exec "$BUILD/stampede" --config "$config" 2>"$logf"
    ) &
    local pid=$!
    STARTED_PIDS+=("$pid")
    for _ in $(seq 100); do
        grep -q 'listening on backend' "$logf" 2>/dev/null && break
        sleep 0.1
    done
    local ws tcp
    ws=$(grep -o 'listening on web 127.0.0.1:[0-9]*' "$logf" | tail -1 | cut -d: -f2)
    tcp=$(grep -o 'listening on backend 127.0.0.1:[0-9]*' "$logf" | tail -1 | cut -d: -f2)
    if [[ -z $ws || -z $tcp ]]; then
        log "$name did not start:"; cat "$logf" >&2; return 1
    fi
    printf -v "${name}_PID" '%s' "$pid"
    printf -v "${name}_WS" '%s' "$ws"
    printf -v "${name}_TCP" '%s' "$tcp"
    log "$name ($shards shard(s)) pid $pid ws $ws tcp $tcp"
}

# Waits (up to QUIET_WAIT s) for a second in which the machine is nearly idle, so a run does
# not start in the middle of someone else's compile or of a broker still working off the
# previous run's backlog. The generator reports the other load of every run in any case.
QUIET_WAIT=${QUIET_WAIT:-3}
cpu_busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
wait_quiet() {
    local hz waited=0 before after
    hz=$(getconf CLK_TCK)
    while ((waited < QUIET_WAIT)); do
        before=$(cpu_busy_ticks)
        sleep 1
        after=$(cpu_busy_ticks)
        # under 30% of one core busy
        ((100 * (after - before) < 30 * hz)) && return 0
        waited=$((waited + 1))
    done
    log "  machine still busy after ${QUIET_WAIT}s; running anyway"
}

# ------------------------------------------------------------------------------------------
# One generator run: bench BROKER CASE ARGS... (BROKER names the columns of the report).
bench() {
    local broker=$1 case=$2
    shift 2
    local cmd=("$BENCH" "$@" --duration "$DURATION" --label "broker=$broker;case=$case")
    printf '%s\n' "${cmd[*]}" | sed "s|$BUILD/|build-bench/|g" >>"$COMMANDS"
    wait_quiet
    log "$broker $case"
    if ! timeout $((DURATION * 4 + 300)) "${cmd[@]}" >>"$RESULTS" 2>>"$WORK/bench.err"; then
        log "  (run failed or incomplete; see the JSON line)"
    fi
    tail -1 "$RESULTS" | python3 "$ROOT/benchmarks/compare_report.py" --brief >&2 || true
}
rabbit() { bench rabbitmq "$@" --broker-pid "$RMQ_PID" --login guest --passcode guest; }
ws_rabbit() { rabbit "$@" --url ws://127.0.0.1:15674/ws; }
ws_stampede() { # ws_stampede INSTANCE CASE SCENARIO ARGS...
    local instance=$1 case=$2
    shift 2
    local ws_var=${instance}_WS pid_var=${instance}_PID
    bench "$instance" "$case" "$@" --url "ws://127.0.0.1:${!ws_var}/ws" --broker-pid "${!pid_var}"
}

# ------------------------------------------------------------------------------------------
log "work directory $WORK"
start_rabbitmq
start_stampede stampede 0   # shards 0 = one per core: the default
start_stampede stampede1 1

queue_cases() {
    ws_rabbit queue-4 queue --subscribers 4
    ws_stampede stampede queue-4 queue --subscribers 4
    ws_rabbit queues-8x2 queue --queues 8 --subscribers 2
    ws_stampede stampede queues-8x2 queue --queues 8 --subscribers 2
}
if [[ ${ONLY:-} == queues ]]; then
    queue_cases
    echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
    echo "commands:" && cat "$COMMANDS"
    python3 "$ROOT/benchmarks/compare_report.py" --brief --labelled <"$RESULTS"
    exit 0
fi

# The generator's own ceiling first, while nothing else is loaded.
bench generator sink-tcp sink --transport tcp
bench generator sink-ws-1 sink --transport ws --frames-per-ws-message 1
bench generator sink-ws-64 sink --transport ws --frames-per-ws-message 64

for subs in 1 10 100 1000; do
    ws_rabbit "fanout-$subs" fanout --subscribers "$subs"
    ws_stampede stampede1 "fanout-$subs" fanout --subscribers "$subs"
    ws_stampede stampede "fanout-$subs" fanout --subscribers "$subs"
done
# 5,000 idle connections against none: a difference of 10% is within what one pair of runs
# on these shared cores swings by, so three alternating pairs, and the medians are compared.
for pair in 1 2 3; do
    for instance in stampede1 stampede; do
        ws_stampede "$instance" "fanout-1000-pair$pair" fanout --subscribers 1000
        ws_stampede "$instance" "fanout-1000-idle5000-pair$pair" fanout --subscribers 1000 --idle 5000
    done
done

rabbit fanout-100-tcp fanout --subscribers 100 --url tcp://127.0.0.1:61613
bench stampede fanout-100-tcp fanout --subscribers 100 --url "tcp://127.0.0.1:$stampede_TCP" \
    --broker-pid "$stampede_PID"

ws_rabbit rooms-100x10-max rooms --rooms 100 --members 10
ws_stampede stampede rooms-100x10-max rooms --rooms 100 --members 10
# Latency at 80% of what RabbitMQ just sustained, for both.
rate80=$(python3 "$ROOT/benchmarks/compare_report.py" --rate80 "$RESULTS" rooms-100x10-max)
ws_rabbit rooms-100x10-80pct rooms --rooms 100 --members 10 --rate "$rate80"
ws_stampede stampede rooms-100x10-80pct rooms --rooms 100 --members 10 --rate "$rate80"
ws_rabbit rooms-1000x10-20k rooms --rooms 1000 --members 10 --rate 20000
ws_stampede stampede1 rooms-1000x10-20k rooms --rooms 1000 --members 10 --rate 20000
ws_stampede stampede rooms-1000x10-20k rooms --rooms 1000 --members 10 --rate 20000
# Where the latency target holds, if not at 20k.
# Both instances: two shards plus the generator are three busy threads on two cores, so one
# shard may hold the latency better below its saturation point.
for rate in 2000 5000 7500 10000; do
    ws_stampede stampede "rooms-1000x10-$rate" rooms --rooms 1000 --members 10 --rate "$rate"
    ws_stampede stampede1 "rooms-1000x10-$rate" rooms --rooms 1000 --members 10 --rate "$rate"
done
# The floor under those: a trivial built-in sender, one MESSAGE per send() to 9,000
# connections (the generator holds both ends in one process, 20,000 fds at most), at the
# same delivery rates. No broker that writes one delivery per send() can do better here.
for rate in 2000 5000 7500 10000 20000; do
    bench generator "floor-$rate" sink --transport ws --connections 9000 --rate "$((rate * 10))"
done

queue_cases

# Relay: two Stampede nodes through a private redis-server.
redis_port=26379
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$WORK" --logfile "$WORK/redis.log" &
STARTED_PIDS+=($!)
sleep 0.5
relay_yaml="cluster: { redis: { url: \"redis://127.0.0.1:$redis_port/0\" } }"
if start_stampede nodeA 0 "$relay_yaml" && start_stampede nodeB 0 "$relay_yaml"; then
    bench nodeA relay-100-single fanout --subscribers 100 --url "ws://127.0.0.1:$nodeA_WS/ws" \
        --broker-pid "$nodeA_PID"
    bench nodeA relay-100 relay --subscribers 100 --settle 1 --url "ws://127.0.0.1:$nodeA_WS/ws" \
        --url2 "ws://127.0.0.1:$nodeB_WS/ws" --broker-pid "$nodeA_PID" --broker-pid2 "$nodeB_PID"
    bench nodeA relay-100-single-2k fanout --subscribers 100 --rate 2000 \
        --url "ws://127.0.0.1:$nodeA_WS/ws" --broker-pid "$nodeA_PID"
    bench nodeA relay-100-2k relay --subscribers 100 --rate 2000 --settle 1 \
        --url "ws://127.0.0.1:$nodeA_WS/ws" --url2 "ws://127.0.0.1:$nodeB_WS/ws" \
        --broker-pid "$nodeA_PID" --broker-pid2 "$nodeB_PID"
fi

# Idle connections last: they leave the most behind in the brokers. Stampede's figure comes
# from a fresh instance, so memory freed by earlier runs cannot hide the growth.
ws_rabbit "connections-$IDLE_RABBIT" connections --connections "$IDLE_RABBIT"
start_stampede fresh 0
ws_stampede fresh "connections-$IDLE_STAMPEDE" connections --connections "$IDLE_STAMPEDE"

if ((PROFILE)); then
    for case in "fanout --subscribers 1000" "rooms --rooms 1000 --members 10 --rate 20000"; do
        name=$(echo "$case" | tr -c 'a-z0-9\n' '-' | head -c 40)
        log "perf: stampede1 $case"
        perf record -F 499 -g -p "$stampede1_PID" -o "$WORK/perf-$name.data" -- sleep 8 \
            >/dev/null 2>&1 &
        perf_pid=$!
        # shellcheck disable=SC2086
        "$BENCH" $case --url "ws://127.0.0.1:$stampede1_WS/ws" --duration 8 --warmup 0.5 \
            >>"$WORK/profile-runs.jsonl" || true
        wait "$perf_pid" || true
        perf report -i "$WORK/perf-$name.data" --no-children --stdio --percent-limit 1 \
            --sort symbol >"$WORK/perf-$name.txt" 2>/dev/null || true
    done
    log "profiles in $WORK/perf-*.txt"
fi

# ------------------------------------------------------------------------------------------
# Microbenchmarks
for micro in parser_bench writer_bench router_bench jwt_bench; do
    wait_quiet
    log "$micro"
    start_ticks=$(cpu_busy_ticks)
    start_s=$(date +%s.%N)
    # Five repetitions, medians reported: single runs on these shared virtual cores vary by
    # up to 1.5x from one second to the next.
    "$BUILD/benchmarks/$micro" --benchmark_min_time=0.2 --benchmark_repetitions=5 \
        --benchmark_report_aggregates_only=true --benchmark_format=json \
        >"$WORK/$micro.json" 2>/dev/null
    # Busy CPU of the whole machine during the run, in percent of one core (the benchmark
    # itself is about 100).
    echo "$micro=$(awk -v a="$start_ticks" -v b="$(cpu_busy_ticks)" -v t0="$start_s" \
        -v t1="$(date +%s.%N)" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", 100 * (b - a) / hz / (t1 - t0)}')" \
        >>"$WORK/micro-load.txt"
    echo "build-bench/benchmarks/$micro --benchmark_min_time=0.2 --benchmark_repetitions=5 --benchmark_report_aggregates_only=true" >>"$COMMANDS"
done

# ------------------------------------------------------------------------------------------
# Machine, versions, and the report
{
    echo "model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
    echo "cpus=$(nproc)"
    echo "kernel=$(uname -r)"
    echo "memory=$(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
    echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "stampede=$("$BUILD/stampede" --version 2>&1 | head -1) ($(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet -- broker protocol storage auth || echo ', uncommitted changes'))"
    echo "rabbitmq=$(dpkg-query -W -f='${Version}' rabbitmq-server)"
    echo "erlang=$(dpkg-query -W -f='${Version}' erlang-base 2>/dev/null || echo '?')"
    echo "libwebsockets=$(dpkg-query -W -f='${Version}' libwebsockets17 2>/dev/null || dpkg-query -W -f='${Version}' libwebsockets-dev)"
    echo "fd_limit=$FD_LIMIT"
    echo "duration=$DURATION"
    echo "elapsed=$(($(date +%s) - T0))"
    echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
} >"$WORK/machine.txt"
python3 "$ROOT/benchmarks/compare_report.py" --write "$DOC" "$WORK"
log "wrote $DOC"
