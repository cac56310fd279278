"""Tables of benchmarks/rooms_history.sh's runs: rooms per config (every run and the medians,
with the load average each run started at), then the replay scenario.

    python3 benchmarks/rooms_history_report.py results.jsonl [more.jsonl ...]   (sessions pooled)
"""
import json
import statistics
import sys


def label(run):
    return dict(part.split("=", 1) for part in run.get("label", "").split(";") if "=" in part)


def ms(us):
    return f"{us / 1000:.2f}"


def rooms_tables(runs):
    configs = list(dict.fromkeys(label(r)["config"] for r in runs))
    for case in ("rate", "max"):
        rows = [r for r in runs if r["scenario"] == "rooms" and label(r)["case"] == case]
        if not rows:
            continue
        params = rows[0]["params"]
        rate = "saturating (--rate 0)" if case == "max" else f"{params['rate']:,.0f} msgs/s"
        print(f"\nrooms {params['rooms']}x{params['members']} at {rate}\n")
        print("| config | delivered msg/s (median; runs) | vs none | p50 / p99 / p99.9 ms (medians) "
              "| p99 ms (runs) | lost | broker CPU % | broker RSS MiB | load average (runs) "
              "| other load % (runs) | runs left out |")
        print("|---|---|---:|---|---|---:|---:|---:|---|---|---|")
        base = None
        for config in configs:
            every = [r for r in rows if label(r)["config"] == config]
            # A run that could not connect everything, or lost connections, has no figure.
            mine = [r for r in every if r["completed"] and not r["results"]["connections"]["closed_later"]]
            left_out = "; ".join(
                f"load {label(r)['load']}: {r['results']['connections']['held']:,} of "
                f"{r['results']['connections']['planned']:,} connections held, "
                f"{r['results']['connections']['closed_later']:,} closed by the broker "
                f"({', '.join(r['results']['errors']) or 'no error'})"
                for r in every if r not in mine)
            if not mine:
                if left_out:
                    print(f"| {config} | no complete run | | | | | | | | | {left_out} |")
                continue
            res = [r["results"] for r in mine]
            rates = [x["delivery_rate"] for x in res]
            median = statistics.median(rates)
            base = median if config == "none" else base
            versus = f"{100 * (median / base - 1):+.1f}%" if base and config != "none" else "-"
            lat = {q: statistics.median(x["latency_us"][q] for x in res) for q in ("p50", "p99", "p999")}
            lost = sum(x["lost"] + x["undelivered"] for x in res)
            cpu = statistics.median(x.get("broker", {}).get("cpu_pct", 0) for x in res)
            rss = statistics.median(x.get("broker", {}).get("rss_kb", 0) for x in res) / 1024
            # CPU of everything but the broker and the generator (others' builds), in % of a core
            others = ", ".join(f"{x.get('machine', {}).get('others_pct', 0):.0f}" for x in res)
            print(f"| {config} | {median:,.0f}; {', '.join(f'{x:,.0f}' for x in rates)} | {versus} | "
                  f"{ms(lat['p50'])} / {ms(lat['p99'])} / {ms(lat['p999'])} | "
                  f"{', '.join(ms(x['latency_us']['p99']) for x in res)} | {lost} | {cpu:.0f} | {rss:.0f} | "
                  f"{', '.join(label(r)['load'] for r in mine)} | {others} | {left_out or '-'} |")


def replay_table(runs):
    rows = [r for r in runs if r["scenario"] == "replay"]
    if not rows:
        return
    print("\nreplay: SUBSCRIBE -> RECEIPT, rounds alternating x-history:H and none\n")
    print("| config | subscribers at once | history x payload | with x-history p50 / p99 / p99.9 ms "
          "| without p50 / p99 / p99.9 ms | added p99 ms | replayed per subscribe | subscribes "
          "(each) | load average |")
    print("|---|---:|---|---|---|---:|---:|---:|---|")
    for r in rows:
        res, p = r["results"], r["params"]
        w, wo = res["with_history"], res["without_history"]
        print(f"| {label(r)['config']} | {p['subscribers']} | {p['history']} x {p['payload']} B | "
              f"{ms(w['p50_us'])} / {ms(w['p99_us'])} / {ms(w['p999_us'])} | "
              f"{ms(wo['p50_us'])} / {ms(wo['p99_us'])} / {ms(wo['p999_us'])} | "
              f"{ms(res['added_p99_us'])} | {w['replayed_per_subscribe']:.0f} | "
              f"{w['subscribes']:,} | {label(r)['load']} |")


def main(paths):
    runs = [json.loads(line) for path in paths for line in open(path, encoding="utf-8")
            if line.strip()]
    rooms_tables(runs)
    replay_table(runs)


if __name__ == "__main__":
    main(sys.argv[1:])
