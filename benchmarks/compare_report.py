#!/usr/bin/env python3
"""Turns the JSON lines of benchmarks/compare.sh into the tables of docs/benchmarks.md.

  compare_report.py --brief [--labelled]      < JSON lines       (one-line summaries on stdout)
  compare_report.py --rate80 RESULTS CASE     80% of RabbitMQ's published msgs/s in CASE
  compare_report.py --write DOC WORKDIR       replace the generated part of DOC

Only figures present in the results are printed; a missing run shows as "not run".
"""
import json
import os
import re
import sys

BEGIN = "<!-- compare.sh:begin (generated; edit benchmarks/compare_report.py instead) -->"
END = "<!-- compare.sh:end -->"
DISTURBED_PCT = 25.0  # other processes' CPU (percent of one core) that marks a run as disturbed

BROKER_NAMES = {
    "rabbitmq": "RabbitMQ Web-STOMP",
    "stampede": "Stampede (2 shards, default)",
    "stampede1": "Stampede (1 shard)",
    "nodeA": "Stampede node A (2 shards)",
    "fresh": "Stampede (2 shards, default; fresh process)",
    "generator": "generator only",
}


def label_fields(line):
    fields = {}
    for part in line.get("label", "").split(";"):
        if "=" in part:
            key, value = part.split("=", 1)
            fields[key] = value
    return fields


def load(path):
    runs = []
    if not os.path.exists(path):
        return runs
    with open(path) as handle:
        for text in handle:
            text = text.strip()
            if text.startswith("{"):
                try:
                    line = json.loads(text)
                except json.JSONDecodeError:
                    continue
                line["_label"] = label_fields(line)
                runs.append(line)
    return runs


def find(runs, broker, case):
    found = [r for r in runs if r["_label"].get("broker") == broker and r["_label"].get("case") == case]
    return found[-1] if found else None


def find_median(runs, broker, cases):
    """The run with the median delivery rate among the last run of each case."""
    found = [run for run in (find(runs, broker, case) for case in cases) if run]
    if not found:
        return None
    found.sort(key=lambda run: run["results"]["delivery_rate"])
    return found[len(found) // 2]


PAIRS = (1, 2, 3)


def num(value, digits=0):
    if value is None:
        return "-"
    if abs(value) >= 1e6:
        return f"{value / 1e6:.2f} M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.0f} k"
    if abs(value) >= 1e3:
        return f"{value / 1e3:.1f} k"
    return f"{value:.{digits}f}"


def ms(us):
    if us is None:
        return "-"
    value = us / 1000.0
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def flags(run):
    r = run["results"]
    out = []
    if not run.get("completed", True):
        out.append("INCOMPLETE")
    if r["generator"].get("saturated"):
        out.append("generator-bound")
    machine = r.get("machine")
    if machine and machine.get("others_pct", 0) > DISTURBED_PCT:
        out.append(f"disturbed ({machine['others_pct']:.0f}% other load)")
    if r.get("lost", 0) or r.get("duplicated", 0):
        out.append("LOSS/DUP")
    if not r.get("drained", True):
        out.append(f"not drained: {r.get('undelivered', 0):,} deliveries still missing after the drain "
                   "(backlog, or lost)")
    if r.get("errors"):
        out.append("errors: " + "; ".join(r["errors"])[:120])
    return ", ".join(out)


def brief(run):
    r = run["results"]
    lat = r["latency_us"]
    text = (f"  -> published {num(r['publish_rate'])}/s delivered {num(r['delivery_rate'])}/s "
            f"p50 {ms(lat['p50'])} ms p99 {ms(lat['p99'])} ms lost {r['lost']} undelivered "
            f"{r.get('undelivered', 0)} dup {r['duplicated']}")
    if "broker_memory" in run:
        text += f" RSS/conn {run['broker_memory']['rss_per_connection_bytes'] / 1024:.1f} KiB"
        text += f" held {r['connections']['held']} at {num(r['connections']['per_s'])}/s"
    if "msgs_per_core_s" in run:
        text += f" per core-s {num(run['msgs_per_core_s'])}"
    extra = flags(run)
    return text + (f" [{extra}]" if extra else "")


def throughput_row(run, first):
    if run is None:
        return f"| {first} | not run | | | | | | | | | |"
    r = run["results"]
    lat = r["latency_us"]
    broker = dict(r.get("broker", {}))
    if "broker2" in r:  # relay: both nodes
        broker["cpu_pct"] = broker.get("cpu_pct", 0) + r["broker2"].get("cpu_pct", 0)
    machine = r.get("machine", {})
    window = r.get("flow_window", "-")
    return (f"| {first} | {window} | {num(r['publish_rate'])} | **{num(r['delivery_rate'])}** | "
            f"{ms(lat['p50'])} / {ms(lat['p99'])} / {ms(lat['p999'])} | {r['lost']} / {r['duplicated']} | "
            f"{broker.get('cpu_pct', 0):.0f} | {broker.get('rss_kb', 0) / 1024:.0f} | "
            f"{r['generator']['busiest_thread_pct']:.0f} | {machine.get('others_pct', 0):.0f} | {flags(run)} |")


THROUGHPUT_HEAD = ("| run | window | published msg/s | delivered msg/s | latency p50 / p99 / p99.9 ms | lost / dup | "
                   "broker CPU % | broker RSS MiB | generator thread CPU % | other load % | notes |\n"
                   "|---|---:|---:|---:|---|---|---:|---:|---:|---:|---|")


def throughput_table(runs, rows):
    lines = [THROUGHPUT_HEAD]
    for broker, case, title in rows:
        lines.append(throughput_row(find(runs, broker, case), title))
    return "\n".join(lines)


def rate(run):
    return run["results"]["delivery_rate"] if run else None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.1f}x"


def micro(work, name):
    """The benchmarks of one microbenchmark binary: medians when it ran with repetitions (each
    carrying its coefficient of variation as "cv"), else the single runs."""
    path = os.path.join(work, name + ".json")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        try:
            runs = json.load(handle).get("benchmarks", [])
        except json.JSONDecodeError:
            return []
    medians = [dict(b) for b in runs if b.get("aggregate_name") == "median"]
    if not medians:
        return [b for b in runs if b.get("run_type") != "aggregate"]
    cvs = {b["run_name"]: b for b in runs if b.get("aggregate_name") == "cv"}
    for bench in medians:
        bench["name"] = bench.get("run_name", bench["name"])
        if bench["name"] in cvs:
            bench["cv"] = cvs[bench["name"]].get("cpu_time", 0)
    return medians


def render(work):
    runs = load(os.path.join(work, "results.jsonl"))
    machine = {}
    if os.path.exists(os.path.join(work, "machine.txt")):
        for text in open(os.path.join(work, "machine.txt")):
            if "=" in text:
                key, value = text.rstrip("\n").split("=", 1)
                machine[key] = value
    commands = []
    if os.path.exists(os.path.join(work, "commands.txt")):
        commands = [c.rstrip("\n") for c in open(os.path.join(work, "commands.txt"))]
    out = [BEGIN, ""]
    out.append(f"Measured {machine.get('date', '?')} by `benchmarks/compare.sh` "
               f"({machine.get('elapsed', '?')} s in all, {machine.get('duration', '?')} s per run "
               "after 1 s of warm-up). The load generator runs on the same machine.")
    out.append("")
    out.append("| machine | |\n|---|---|")
    for key, title in [("model", "CPU"), ("cpus", "cores"), ("memory", "memory"), ("kernel", "kernel"),
                       ("os", "OS"), ("stampede", "Stampede"), ("rabbitmq", "RabbitMQ"),
                       ("erlang", "Erlang"), ("libwebsockets", "libwebsockets"),
                       ("fd_limit", "open files per process (hard limit)")]:
        out.append(f"| {title} | {machine.get(key, '?')} |")
    out.append("")
    out.append("Columns: *published* and *delivered* are per second over the measurement window; "
               "*delivered* counts every copy a subscriber received. Latency is send-to-receive of "
               "messages stamped inside the window (CLOCK_MONOTONIC in the body). *lost / dup* are "
               "checked per subscriber with sequence numbers: *lost* are gaps (a later message "
               "arrived, this one never did); deliveries still missing when the drain (up to 30 s) "
               "ends are reported as *not drained*. *broker CPU* is both nodes for the relay. "
               "*generator thread CPU* is "
               "the busiest generator thread: at 90% or more the run is marked generator-bound. "
               "*window* is the flow-control window (messages a publisher may be ahead of its "
               "slowest receiver): with no fixed rate the generator tries 16, 64, 256 and 1024 "
               "during warm-up and keeps the best for each broker. "
               "*other load* estimates the CPU taken by everything but the broker and the generator "
               "(other engineers' compilers on these shared cores; it also catches some kernel "
               f"network time); above {DISTURBED_PCT:.0f}% of a core the run is marked disturbed. "
               "compare.sh waits for a quiet second before each run, but cannot stop others.")
    out.append("")

    # Generator ceiling
    out.append("### Generator ceiling (sink self-test)\n")
    out.append("| transport | STOMP frames per write / per WS message | received msg/s (wall) | "
               "msg per second of receiver CPU | receiver thread CPU % | lost |\n|---|---|---:|---:|---:|---:|")
    for case, title in [("sink-tcp", "TCP"), ("sink-ws-1", "WebSocket"), ("sink-ws-64", "WebSocket")]:
        run = find(runs, "generator", case)
        if run is None:
            out.append(f"| {title} | not run | | | | |")
            continue
        p = run["params"]
        per_msg = p.get("frames_per_ws_message") or "-"
        r = run["results"]
        out.append(f"| {title} | {p['frames_per_write']} / {per_msg} | {num(r['delivery_rate'])} | "
                   f"**{num(run.get('msgs_per_core_s'))}** | {r['generator']['busiest_thread_pct']:.0f} | {r['lost']} |")
    out.append("")

    # Fanout
    out.append("### Fanout: 1 publisher -> S subscribers, one topic, 128-byte bodies, WebSocket\n")
    out.append("As fast as flow control allows, so the latency here is mostly queueing inside "
               "the window; the fixed-rate rooms runs below are the latency figures.\n")
    rows = []
    for subs in (1, 10, 100, 1000):
        for broker in ("rabbitmq", "stampede1", "stampede"):
            rows.append((broker, f"fanout-{subs}", f"S={subs} {BROKER_NAMES[broker]}"))
    out.append(throughput_table(runs, rows))
    out.append("")
    out.append("5,000 idle subscribed connections during fanout 1 -> 1000: three alternating pairs of "
               "runs (without, with) per instance; the target compares the medians.\n")
    rows = []
    for broker in ("stampede1", "stampede"):
        for pair in PAIRS:
            rows.append((broker, f"fanout-1000-pair{pair}", f"S=1000, pair {pair}, {BROKER_NAMES[broker]}"))
            rows.append((broker, f"fanout-1000-idle5000-pair{pair}",
                         f"S=1000 +5,000 idle, pair {pair}, {BROKER_NAMES[broker]}"))
    out.append(throughput_table(runs, rows))
    out.append("")
    out.append("| S | RabbitMQ delivered/s | Stampede 1 shard | x RabbitMQ | Stampede 2 shards | x RabbitMQ |\n"
               "|---:|---:|---:|---:|---:|---:|")
    for subs in (1, 10, 100, 1000):
        rmq = rate(find(runs, "rabbitmq", f"fanout-{subs}"))
        one = rate(find(runs, "stampede1", f"fanout-{subs}"))
        two = rate(find(runs, "stampede", f"fanout-{subs}"))
        out.append(f"| {subs} | {num(rmq)} | {num(one)} | {ratio(one, rmq)} | {num(two)} | {ratio(two, rmq)} |")
    out.append("")

    out.append("### Same over STOMP/TCP (1 -> 100)\n")
    out.append(throughput_table(runs, [("rabbitmq", "fanout-100-tcp", "RabbitMQ STOMP (61613)"),
                                       ("stampede", "fanout-100-tcp", BROKER_NAMES["stampede"])]))
    out.append("")

    # Rooms
    out.append("### Rooms: R rooms x M members, each room with its own publisher\n")
    rate80 = find(runs, "rabbitmq", "rooms-100x10-80pct")
    rate80_text = f"{rate80['params']['rate']:.0f} msgs/s" if rate80 else "80%"
    out.append(throughput_table(runs, [
        ("rabbitmq", "rooms-100x10-max", "100x10 max, RabbitMQ"),
        ("stampede", "rooms-100x10-max", "100x10 max, Stampede"),
        ("rabbitmq", "rooms-100x10-80pct", f"100x10 at {rate80_text} (80% of RabbitMQ's max), RabbitMQ"),
        ("stampede", "rooms-100x10-80pct", f"100x10 at {rate80_text}, Stampede"),
        ("rabbitmq", "rooms-1000x10-20k", "1000x10 at 20,000 msgs/s, RabbitMQ"),
        ("stampede1", "rooms-1000x10-20k", "1000x10 at 20,000 msgs/s, Stampede 1 shard"),
        ("stampede", "rooms-1000x10-20k", "1000x10 at 20,000 msgs/s, Stampede 2 shards"),
    ] + [
        (broker, f"rooms-1000x10-{rate}", f"1000x10 at {rate:,} msgs/s, Stampede {shards}")
        for rate in (10000, 7500, 5000, 2000)
        for broker, shards in (("stampede", "2 shards"), ("stampede1", "1 shard"))
    ]))
    out.append("")
    out.append("#### The floor under rooms: no broker, one MESSAGE per send()\n")
    out.append("`stampede-bench sink --transport ws --connections 9000 --rate D`: the generator's "
               "built-in trivial sender writes D MESSAGE frames per second, one per `send()`, round "
               "robin over 9,000 WebSocket connections, with no broker work at all (no SEND to "
               "receive, parse or route). It is the best latency any broker that writes one delivery "
               "per `send()` can get on this machine at D deliveries/s, the generator and loopback "
               "TCP included.\n")
    out.append(throughput_table(runs, [
        ("generator", f"floor-{rate}", f"{10 * rate:,} deliveries/s (rooms at {rate:,} msgs/s)")
        for rate in (2000, 5000, 7500, 10000, 20000)
    ]))
    out.append("")

    # Queue
    out.append("### Queue: 1 publisher -> 4 competing consumers, ack client-individual; and 8 such "
               "queues at once (a publisher and 2 consumers each)\n")
    out.append(throughput_table(runs, [("rabbitmq", "queue-4", "RabbitMQ, 1 queue x 4"),
                                       ("stampede", "queue-4", "Stampede, 1 queue x 4"),
                                       ("rabbitmq", "queues-8x2", "RabbitMQ, 8 queues x 2"),
                                       ("stampede", "queues-8x2", "Stampede, 8 queues x 2")]))
    out.append("")

    # Relay
    out.append("### Relay: publisher on node A, 100 subscribers on node B, through Redis\n")
    out.append(throughput_table(runs, [
        ("nodeA", "relay-100-single", "single node (A -> A), max"),
        ("nodeA", "relay-100", "cross-node (A -> B), max"),
        ("nodeA", "relay-100-single-2k", "single node, 2,000 msgs/s"),
        ("nodeA", "relay-100-2k", "cross-node, 2,000 msgs/s"),
    ]))
    out.append("")

    # Connections
    out.append("### Idle WebSocket connections, each subscribed to its own topic\n")
    out.append("| broker | asked | held | failed | connect rate /s | broker RSS before -> after MiB | "
               "RSS per connection KiB | notes |\n|---|---:|---:|---:|---:|---|---:|---|")
    for run in runs:
        if run.get("scenario") != "connections" or run["_label"].get("broker") not in BROKER_NAMES:
            continue
        r = run["results"]
        c = r["connections"]
        memory = run.get("broker_memory", {})
        out.append(f"| {BROKER_NAMES[run['_label']['broker']]} | {c['planned']} | {c['held']} | {c['failed']} | "
                   f"{num(c['per_s'])} | {memory.get('rss_before_kb', 0) / 1024:.0f} -> "
                   f"{memory.get('rss_after_kb', 0) / 1024:.0f} | "
                   f"**{memory.get('rss_per_connection_bytes', 0) / 1024:.1f}** | {flags(run)} |")
    out.append("")

    # Micro
    out.append("### Microbenchmarks (Google Benchmark, one core)\n")
    loads = {}
    if os.path.exists(os.path.join(work, "micro-load.txt")):
        for text in open(os.path.join(work, "micro-load.txt")):
            if "=" in text:
                key, value = text.strip().split("=", 1)
                loads[key] = value
    if loads:
        out.append("Machine busy while each ran, in percent of one core (the benchmark itself is about "
                   "100; more means someone else was using the other core): " +
                   ", ".join(f"{k} {v}%" for k, v in loads.items()) + ".\n")
    out.append("Medians of 5 repetitions; *spread* is the coefficient of variation of the CPU time.\n")
    out.append("| benchmark | time per op | spread | throughput | counters |\n|---|---:|---:|---:|---|")
    for name in ("parser_bench", "router_bench", "writer_bench", "jwt_bench"):
        for bench in micro(work, name):
            throughput = ""
            if "bytes_per_second" in bench:
                throughput = f"{bench['bytes_per_second'] / 1e6:,.0f} MB/s"
            elif "items_per_second" in bench:
                throughput = f"{num(bench['items_per_second'])}/s"
            counters = ", ".join(f"{k}={num(v, 2)}" for k, v in bench.items()
                                 if k in ("frames/s", "matches_per_call", "verifies/s"))
            unit = bench.get("time_unit", "ns")
            spread = f"{100 * bench['cv']:.0f}%" if "cv" in bench else "-"
            out.append(f"| {bench['name']} | {bench['cpu_time']:.1f} {unit} | {spread} | {throughput} | {counters} |")
    out.append("")

    # Targets
    out.append("### Issue 5 targets, as measured in this run\n")
    out.append("| target | measured | met |\n|---|---|---|")
    rmq = rate(find(runs, "rabbitmq", "fanout-1000"))
    best = None
    for broker in ("stampede", "stampede1"):
        run = find(runs, broker, "fanout-1000")
        if run and run["results"]["lost"] == 0 and (best is None or rate(run) > rate(best)):
            best = run
    if best and rmq:
        met = rate(best) >= 1e6 and rate(best) >= 50 * rmq
        out.append(f"| fanout 1->1000: >= 50x RabbitMQ and > 1 M deliveries/s, no loss | "
                   f"{num(rate(best))}/s ({BROKER_NAMES[best['_label']['broker']]}) = {ratio(rate(best), rmq)} "
                   f"RabbitMQ's {num(rmq)}/s | {'yes' if met else '**no**'} |")
    for broker in ("stampede", "stampede1"):
        run = find(runs, broker, "rooms-1000x10-20k")
        if run:
            lat = run["results"]["latency_us"]
            met = (lat["p99"] < 2000 and lat["p999"] < 10000 and run["results"]["publish_rate"] > 19000
                   and run["results"].get("drained", True))
            out.append(f"| rooms 1000x10 at 20k msgs/s: p99 < 2 ms, p99.9 < 10 ms ({BROKER_NAMES[broker]}) | "
                       f"published {num(run['results']['publish_rate'])}/s, p99 {ms(lat['p99'])} ms, "
                       f"p99.9 {ms(lat['p999'])} ms | {'yes' if met else '**no**'} |")
    for broker in ("stampede", "stampede1"):
        holding = []
        for case in ("rooms-1000x10-20k", "rooms-1000x10-10000", "rooms-1000x10-7500", "rooms-1000x10-5000",
                     "rooms-1000x10-2000"):
            run = find(runs, broker, case)
            if run:
                lat = run["results"]["latency_us"]
                if lat["p99"] < 2000 and lat["p999"] < 10000 and run["results"]["lost"] == 0:
                    holding.append(run["params"]["rate"])
        best = (f"{max(holding):,.0f} msgs/s ({10 * max(holding):,.0f} deliveries/s)" if holding
                else "none of the rates measured")
        out.append(f"| rooms 1000x10: highest rate measured at which p99 < 2 ms and p99.9 < 10 ms hold "
                   f"({BROKER_NAMES[broker]}) | {best} | - |")
    floor_holding = []
    floor_runs = []
    for rate_msgs in (2000, 5000, 7500, 10000, 20000):
        run = find(runs, "generator", f"floor-{rate_msgs}")
        if run:
            floor_runs.append(rate_msgs)
            lat = run["results"]["latency_us"]
            if lat["p99"] < 2000 and lat["p999"] < 10000 and run["results"]["lost"] == 0:
                floor_holding.append(rate_msgs)
    if floor_runs:
        best = f"{max(floor_holding):,} msgs/s ({10 * max(floor_holding):,} deliveries/s)" if floor_holding \
            else "none of the rates measured"
        out.append(f"| the same latency target for the floor (no broker, one send() per delivery, 9,000 "
                   f"connections): highest rate at which it holds | {best} | - |")
    conn = [r for r in runs if r.get("scenario") == "connections"
            and r["_label"].get("broker") in ("stampede", "fresh")]
    if conn:
        run = conn[-1]
        per = run.get("broker_memory", {}).get("rss_per_connection_bytes", 0) / 1024
        held = run["results"]["connections"]["held"]
        verdict = "yes" if per < 10 else "**no**"
        if held < 50000:
            verdict += (f" at {held:,} (50,000 cannot be opened here: {machine.get('fd_limit', '?')} "
                        "open files per process, hard limit)")
        out.append(f"| 50,000 idle WebSocket connections, RSS < 10 KiB each | held {held:,}, "
                   f"{per:.1f} KiB each, {num(run['results']['connections']['per_s'])} connects/s | "
                   f"{verdict} |")
    for broker in ("stampede", "stampede1"):
        base = rate(find_median(runs, broker, [f"fanout-1000-pair{pair}" for pair in PAIRS]))
        idle = rate(find_median(runs, broker, [f"fanout-1000-idle5000-pair{pair}" for pair in PAIRS]))
        if base and idle:
            drop = 100 * (1 - idle / base)
            out.append(f"| 5,000 idle connections cost fanout <= 10% ({BROKER_NAMES[broker]}) | "
                       f"median of 3: {num(base)}/s without, {num(idle)}/s with ({-drop:+.0f}%) | "
                       f"{'yes' if drop <= 10 else '**no**'} |")
    single = find(runs, "nodeA", "relay-100-single")
    cross = find(runs, "nodeA", "relay-100")
    if single and cross:
        met = rate(cross) >= rate(single) / 2 and cross["results"]["lost"] == 0
        s2k = find(runs, "nodeA", "relay-100-single-2k")
        c2k = find(runs, "nodeA", "relay-100-2k")
        added = ""
        if s2k and c2k:
            added = (f"; p99 at 2k msgs/s {ms(s2k['results']['latency_us']['p99'])} -> "
                     f"{ms(c2k['results']['latency_us']['p99'])} ms")
        out.append(f"| relay: cross-node >= half of single-node | {num(rate(cross))}/s vs "
                   f"{num(rate(single))}/s ({ratio(rate(cross), rate(single))}){added} | "
                   f"{'yes' if met else '**no**'} |")
    parser = [b for b in micro(work, "parser_bench") if "bytes_per_second" in b]
    if parser:
        small = [b for b in parser if "body:64/" in b["name"] or "body:0/" in b["name"]]
        worst = min(small or parser, key=lambda b: b["bytes_per_second"])
        out.append(f"| parser > 1 GB/s | {worst['bytes_per_second'] / 1e9:.2f} GB/s on its slowest small-frame "
                   f"case ({worst['name']}) | {'yes' if worst['bytes_per_second'] > 1e9 else '**no**'} |")
    router = micro(work, "router_bench")
    if router:
        worst = max(router, key=lambda b: b["cpu_time"])
        out.append(f"| router match < 200 ns (10k subscriptions, 20% wildcards) | worst case "
                   f"{worst['cpu_time']:.0f} ns ({worst['name']}) | {'yes' if worst['cpu_time'] < 200 else '**no**'} |")
    out.append("")

    out.append("<details><summary>Exact commands of this run</summary>\n\n```")
    out.extend(commands)
    out.append("```\n</details>\n")
    out.append(END)
    return "\n".join(out)


def write(doc, work):
    section = render(work)
    text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n\n" + BEGIN + "\n" + END + "\n"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## Results\n\n" + section + "\n"
    with open(doc, "w") as handle:
        handle.write(text)


def main(argv):
    if len(argv) >= 2 and argv[1] == "--brief":
        for text in sys.stdin:
            if text.strip().startswith("{"):
                run = json.loads(text)
                if len(argv) >= 3 and argv[2] == "--labelled":
                    print(run.get("label", ""))
                print(brief(run))
        return 0
    if len(argv) == 4 and argv[1] == "--rate80":
        run = find(load(argv[2]), "rabbitmq", argv[3])
        value = run["results"]["publish_rate"] * 0.8 if run else 1000
        print(max(100, int(value)))
        return 0
    if len(argv) == 4 and argv[1] == "--write":
        write(argv[2], argv[3])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
