#!/usr/bin/env bash
# What room history costs (issue 12), on this machine: the rooms scenario (ROOMS x MEMBERS)
# against brokers that differ only in their rooms/storage config, alternating A/B/A/B so
# drift in the machine's load hits every config alike; then the replay scenario (SUBSCRIBE
# with x-history:100 against a plain one) on each config that has rooms. A fresh broker per
# run (and a fresh, empty folder for the file backend). Prints every run, then the tables.
#
#   benchmarks/rooms_history.sh [CONFIG...]
#     CONFIG: none (no rooms), memory, file-interval (fsync every 100 ms), file-always,
#             file-never; default: none memory
#             rabbitmq: a RabbitMQ Web-STOMP already running on 127.0.0.1:15674 (guest),
#             started as compare.sh does, its beam pid in RABBIT_PID (rooms runs only)
#             cluster (a one-node cluster on REDIS_URL, no rooms: the relay alone), redis
#             (rooms with the redis backend on REDIS_URL, e.g. a local redis-server)
#
# Environment: ROUNDS (2), DURATION (s per run, 10), SHARDS (2), RATE (rooms msgs/s, 5000),
# ROOMS (1000), MEMBERS (10), MAX (1: also the saturating variant, --rate 0), REPLAY
# (subscriber counts for the replay scenario, "1 100"; "" skips it), BUILD (build),
# QUIET_WAIT (s to wait before each run for a second in which the machine is nearly idle, as
# compare.sh does; 10).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10}
SHARDS=${SHARDS:-2}
RATE=${RATE:-5000}
ROOMS=${ROOMS:-1000}
MEMBERS=${MEMBERS:-10}
MAX=${MAX:-1}
REPLAY=${REPLAY-1 100}
CONFIGS=("$@")
((${#CONFIGS[@]})) || CONFIGS=(none memory)
WORK=$(mktemp -d /tmp/stampede-rooms-history.XXXXXX)
RESULTS=$WORK/results.jsonl
PID=""
trap '[[ -n $PID ]] && kill $PID 2>/dev/null; wait 2>/dev/null || true' EXIT

# The rooms pattern covers the generator's room destinations (/topic/bench.room.<r>, and
# /topic/bench.room.replay for the replay scenario).
config_yaml() { # config_yaml CONFIG STORE_DIR
    local rooms='destinations:
  rooms:
    - { pattern: "/topic/bench.room.*", history: { max_messages: 100, max_age_s: 86400 } }'
    case $1 in
    none) ;;
    memory) printf '%s\nstorage: { backend: memory }\n' "$rooms" ;;
    file-interval) printf '%s\nstorage: { backend: file, path: "%s", fsync: interval_ms, fsync_interval_ms: 100 }\n' "$rooms" "$2" ;;
    file-always) printf '%s\nstorage: { backend: file, path: "%s", fsync: always }\n' "$rooms" "$2" ;;
    file-never) printf '%s\nstorage: { backend: file, path: "%s", fsync: never }\n' "$rooms" "$2" ;;
    # One node on a cluster (REDIS_URL, a local redis-server): the relay alone, then rooms
    # numbered and kept in Redis (every room message goes through the publish script).
    cluster) printf 'cluster: { redis: { url: "%s" } }\n' "${REDIS_URL:?cluster needs REDIS_URL}" ;;
    redis) printf '%s\ncluster: { redis: { url: "%s" } }\nstorage: { backend: redis }\n' "$rooms" "${REDIS_URL:?redis needs REDIS_URL}" ;;
    *) echo "unknown config $1" >&2; exit 2 ;;
    esac
}

start_broker() { # start_broker CONFIG N: sets PID and port
    local config=$1 n=$2
    local yaml=$WORK/$n.yaml store=$WORK/store-$n
    {
        printf 'node: { shards: %s }\n' "$SHARDS"
        printf 'listeners:\n  - { name: web, protocol: ws, host: 127.0.0.1, port: 0, path: /ws }\n'
        printf 'auth: { anonymous: true }\nlogging: { level: info }\n'
        config_yaml "$config" "$store"
    } >"$yaml"
    "$BUILD/stampede" --config "$yaml" >"$WORK/broker-$n.log" 2>&1 &
    PID=$!
    port=""  # the caller's
    for _ in $(seq 100); do
        port=$(grep -o 'listening on web 127.0.0.1:[0-9]*' "$WORK/broker-$n.log" | cut -d: -f2) && [[ -n $port ]] && break
        sleep 0.1
    done
    [[ -n $port ]] || { cat "$WORK/broker-$n.log" >&2; exit 1; }
}

run() { # run CONFIG CASE SCENARIO ARGS...
    local config=$1 case=$2 n=$((++RUN_COUNT)) port pid load
    shift 2
    local extra=()
    if [[ $config == rabbitmq ]]; then
        port=15674 pid=${RABBIT_PID:?rabbitmq needs RABBIT_PID} extra=(--login guest --passcode guest)
    else
        start_broker "$config" "$n"
        pid=$PID
    fi
    wait_quiet
    load=$(cut -d' ' -f1 /proc/loadavg)
    local cmd=("$BUILD/stampede-bench" "$@" --url "ws://127.0.0.1:$port/ws" --duration "$DURATION"
        --broker-pid "$pid" "${extra[@]}" --label "config=$config;case=$case;load=$load")
    echo "${cmd[*]}" | sed "s|$BUILD/|build/|" >>"$WORK/commands.txt"
    echo "$config $case (load average $load)" >&2
    "${cmd[@]}" >>"$RESULTS" || echo "  (run failed; see $WORK/broker-$n.log)" >&2
    if [[ -n $PID ]]; then
        kill -TERM "$PID"
        wait "$PID" 2>/dev/null || true
        PID=""
    fi
    rm -rf "$WORK/store-$n"
}

QUIET_WAIT=${QUIET_WAIT:-10}
cpu_busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
wait_quiet() { # under 30% of one core busy for a second, or QUIET_WAIT s passed
    local hz before waited
    hz=$(getconf CLK_TCK)
    for ((waited = 0; waited < QUIET_WAIT; waited++)); do
        before=$(cpu_busy_ticks)
        sleep 1
        ((100 * ($(cpu_busy_ticks) - before) < 30 * hz)) && return 0
    done
    echo "  machine still busy after ${QUIET_WAIT}s; running anyway" >&2
}

RUN_COUNT=0
for round in $(seq "$ROUNDS"); do
    for config in "${CONFIGS[@]}"; do
        run "$config" "rate" rooms --rooms "$ROOMS" --members "$MEMBERS" --rate "$RATE"
        ((MAX)) && run "$config" "max" rooms --rooms "$ROOMS" --members "$MEMBERS"
    done
done
for subscribers in $REPLAY; do
    for config in "${CONFIGS[@]}"; do
        [[ $config == none || $config == rabbitmq ]] && continue
        run "$config" "replay-$subscribers" replay --history 100 --payload 200 \
            --subscribers "$subscribers"
    done
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(uname -a)"
echo "command: benchmarks/rooms_history.sh ${CONFIGS[*]} (ROUNDS=$ROUNDS DURATION=$DURATION SHARDS=$SHARDS RATE=$RATE ROOMS=$ROOMS MEMBERS=$MEMBERS MAX=$MAX REPLAY=\"$REPLAY\"), $(git -C "$ROOT" rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ)"
python3 "$ROOT/benchmarks/rooms_history_report.py" "$RESULTS"
echo "raw results: $RESULTS; commands: $WORK/commands.txt" >&2
