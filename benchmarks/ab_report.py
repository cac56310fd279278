"""Medians of benchmarks/ab.sh's runs: delivered msg/s and p99 latency per scenario and build.

    python3 benchmarks/ab_report.py results.jsonl
"""
import json
import statistics
import sys


def case_of(run):
    """The scenario, and for queues how many queues x consumers each."""
    if run.get("scenario") == "queue":
        params = run.get("params", {})
        return f"queue {params.get('queues', 1)}x{params.get('subscribers', 1)}"
    return run.get("scenario")


def main(path):
    runs = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    print("| scenario | build | delivered msg/s (median; all) | p99 ms (median; all) | lost |")
    print("|---|---|---|---|---|")
    for scenario in dict.fromkeys(case_of(r) for r in runs):
        for build in ("old", "new"):
            rows = [r["results"] for r in runs
                    if case_of(r) == scenario and r.get("label") == f"build={build}"]
            if not rows:
                continue
            rates = sorted(r["delivery_rate"] for r in rows)
            p99s = sorted(r["latency_us"]["p99"] / 1000 for r in rows)
            lost = sum(r["lost"] + r["undelivered"] for r in rows)
            print(f"| {scenario} | {build} | {statistics.median(rates):,.0f}; "
                  f"{', '.join(f'{x:,.0f}' for x in rates)} | {statistics.median(p99s):.2f}; "
                  f"{', '.join(f'{x:.2f}' for x in p99s)} | {lost} |")


if __name__ == "__main__":
    main(sys.argv[1])
