#!/usr/bin/env bash
# Two builds of Stampede against each other on this machine, alternating, for a change that
# must not cost speed (a refactor): fanout 1->1000 (max throughput) and rooms 1000x10 at a
# fixed rate (latency), each ROUNDS times per build, A then B then A ..., so drift in the
# machine's load hits both alike. Prints every run and the medians.
#
#   benchmarks/ab.sh OLD_REV [NEW_REV]     (NEW_REV default: the work tree)
#
# Environment: ROUNDS (default 3), DURATION (s per run, default 10), SHARDS (default 2),
# RATE (rooms msgs/s, default 5000), CASES (default `topics`; `queues`: one queue with 4
# consumers and 8 queues with 2 consumers each, as fast as flow control allows). Builds go to build-ab-old/ and build-ab-new/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OLD=${1:?usage: ab.sh OLD_REV [NEW_REV]}
NEW=${2:-}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
SHARDS=${SHARDS:-2}
RATE=${RATE:-5000}
CASES=${CASES:-topics}
WORK=$(mktemp -d /tmp/stampede-ab.XXXXXX)
PID=""
trap '[[ -n $PID ]] && kill $PID 2>/dev/null; wait 2>/dev/null || true' EXIT

build() { # build REV DIR -> DIR/stampede, DIR/stampede-bench
    local rev=$1 dir=$2 src=$ROOT
    if [[ -n $rev ]]; then
        # A fixed place for the revision's sources, so a second run reuses the build.
        src=$dir-src
        git -C "$ROOT" worktree remove --force "$src" 2>/dev/null || rm -rf "$src"
        git -C "$ROOT" worktree prune
        git -C "$ROOT" worktree add -q --detach "$src" "$rev"
    fi
    cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DSTAMPEDE_TESTS=OFF >/dev/null
    cmake --build "$dir" --target stampede stampede-bench -j"$(nproc)" >/dev/null
}
echo "building $OLD and ${NEW:-the work tree}" >&2
build "$OLD" "$ROOT/build-ab-old"
build "$NEW" "$ROOT/build-ab-new"

cat >"$WORK/stampede.yaml" <<YAML
node: { shards: $SHARDS }
listeners:
  - { name: web, protocol: ws, host: 127.0.0.1, port: 0, path: /ws }
auth: { anonymous: true }
logging: { level: info }
YAML

run() { # run LABEL DIR SCENARIO ARGS...
    local label=$1 dir=$2
    shift 2
    "$dir/stampede" --config "$WORK/stampede.yaml" >"$WORK/broker.log" 2>&1 &
    PID=$!
    local port=""
    # "listening on" comes when the port is bound; "started" once every shard accepts on it.
    for _ in $(seq 100); do
        grep -q ' started: node' "$WORK/broker.log" && break
        sleep 0.1
    done
    port=$(grep -o 'listening on web 127.0.0.1:[0-9]*' "$WORK/broker.log" | cut -d: -f2)
    # A failed run is recorded (its JSON says why) and the rounds go on.
    "$ROOT/build-ab-new/stampede-bench" "$@" --url "ws://127.0.0.1:$port/ws" --duration "$DURATION" \
        --broker-pid "$PID" --label "build=$label" >>"$WORK/results.jsonl" || true
    kill -TERM $PID
    wait $PID 2>/dev/null || true
    PID=""
    tail -1 "$WORK/results.jsonl" | python3 "$ROOT/benchmarks/compare_report.py" --brief >&2 || true
}

for round in $(seq "$ROUNDS"); do
    for side in old new; do
        echo "round $round: $side" >&2
        if [[ $CASES == queues ]]; then
            run "$side" "$ROOT/build-ab-$side" queue --subscribers 4
            run "$side" "$ROOT/build-ab-$side" queue --queues 8 --subscribers 2
        else
            run "$side" "$ROOT/build-ab-$side" fanout --subscribers 1000
            run "$side" "$ROOT/build-ab-$side" rooms --rooms 1000 --members 10 --rate "$RATE"
        fi
    done
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "command: benchmarks/ab.sh $OLD ${NEW} (ROUNDS=$ROUNDS DURATION=$DURATION SHARDS=$SHARDS RATE=$RATE CASES=$CASES)"
python3 "$ROOT/benchmarks/ab_report.py" "$WORK/results.jsonl"
echo "raw results: $WORK/results.jsonl" >&2
