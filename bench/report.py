#!/usr/bin/env python3
"""Chart and tables of `make bench` / `make bench-full` from bench/results/<N>.json.

Writes bench/results/bench.png (convergence over time against the floor; RSS over N) and the
table between the `bench-table` markers of bench/README.md and of README.md (its Benchmarks
section). Run by the Makefile with the venv of tools/bench-requirements.txt.
"""
import json
import pathlib
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BEGIN, END = "<!-- bench-table:begin -->", "<!-- bench-table:end -->"


def load():
    runs = []
    for p in RESULTS.glob("*.json"):
        if re.fullmatch(r"\d+", p.stem):
            runs.append(json.loads(p.read_text()))
    return sorted(runs, key=lambda r: r["config"]["n"])


def mib(kib):
    return None if kib is None else kib / 1024


def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int) or float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.{digits}f}"


def get(r, *path):
    for k in path:
        if r is None:
            return None
        r = r.get(k) if isinstance(r, dict) else None
    return r


def chart(runs, out):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for r in runs:
        n, floor = r["config"]["n"], r["floor"]["seconds"]
        ts = [t / floor for t, _ in r["converge"]["series"]]
        ax1.step(ts, [k / n for _, k in r["converge"]["series"]], where="post", label=f"operator, N={n:,}")
        fs = r["floor"]["series"]
        w = r["floor"]["apiserver_write_seconds"]
        ax1.plot([t / floor for t, _ in fs], [k / n for _, k in fs], "--", label=f"floor writes, N={n:,} ({w:.0f} s)")
    ax1.axvline(1.0, color="grey", lw=1)
    ax1.axvline(1.5, color="red", lw=1, ls=":", label="goal: 1.5 × floor")
    ax1.set_xlabel("time / floor (floor = max(N·L/C, apiserver write time), same run)")
    ax1.set_ylabel("fraction of Webhooks Ready")
    ax1.set_title("Convergence against the floor")
    ax1.legend(fontsize=8)
    pts = {0: [], "n": [], "s": []}
    for r in runs:
        n, m = r["config"]["n"], r["memory"]
        pts[0].append(mib(m["n0"]["rss_kib"]))
        pts["n"].append((n, mib(m["n_steady"]["rss_kib"]), mib(m["n_steady"]["hwm_kib"])))
        s = get(m, "unrelated_secrets", "after_restart", "rss_kib")
        if s is not None:
            pts["s"].append((n, mib(s), m["unrelated_secrets"]["count"]))
    xs = [0] + [p[0] for p in pts["n"]]
    ax2.plot(xs, [min(pts[0])] + [p[1] for p in pts["n"]], "o-", label="RSS steady (VmRSS, converged, after idle)")
    ax2.plot(xs, [min(pts[0])] + [p[2] for p in pts["n"]], "s--", label="RSS peak (VmHWM)")
    for n, v, k in pts["s"]:
        ax2.plot([n], [v], "^", color="purple")
        ax2.annotate(f"+{k:,} Secrets (after restart)", (n, v), fontsize=7)
    ax2.axhline(48, color="red", lw=1, ls=":", label="goal at 10,000: 48 MiB")
    ax2.set_xlabel("Webhooks (N)")
    ax2.set_ylabel("MiB")
    ax2.set_title("Operator memory over N")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def table(runs):
    cols = [r["config"]["n"] for r in runs]
    head = "| figure | " + " | ".join(f"N = {n:,}" for n in cols) + " |\n|---|" + "---|" * len(cols) + "\n"
    rows = [
        ("floor, s (max of N·L/C and apiserver write time)", lambda r: f'{fmt(r["floor"]["seconds"])} ({fmt(r["floor"]["remote_seconds"])} / {fmt(r["floor"]["apiserver_write_seconds"])})'),
        ("apiserver accepted the N objects in, s", lambda r: fmt(r["converge"]["apply_seconds"])),
        ("converged (all Ready), s", lambda r: fmt(r["converge"]["seconds"])),
        ("converged / floor", lambda r: fmt(r["converge"]["ratio_to_floor"], 2)),
        ("apiserver writes per create", lambda r: fmt(r["converge"]["writes_per_create"], 2)),
        ("apiserver writes per edit (operator's)", lambda r: fmt(r["edit"]["operator_writes_per_edit"], 2)),
        ("remote calls per create / edit / delete", lambda r: " / ".join(fmt(x, 2) for x in (r["converge"]["calls_per_create"], r["edit"]["calls_per_edit"], r["delete"]["calls_per_delete"]))),
        ("remote calls per Secret rotation (k objects)", lambda r: f'{fmt(r["rotation"]["calls_per_rotation"])} (k = {r["rotation"]["k"]})'),
        ("remote calls per no-op resync (reconciles seen)", lambda r: f'{fmt(r["noop_resync"]["calls_per_resync"], 2)} ({fmt(r["noop_resync"]["reconciles"])})'),
        ("remote calls per restart, nothing changed", lambda r: fmt(r["restart"]["calls_per_restart"])),
        ("edit-to-PUT p50 / p99, s", lambda r: f'{fmt(r["edit"]["latency_p50_seconds"], 3)} / {fmt(r["edit"]["latency_p99_seconds"], 3)}'),
        ("RSS with 0 Webhooks, MiB", lambda r: fmt(mib(r["memory"]["n0"]["rss_kib"]))),
        ("RSS steady / peak at N, MiB", lambda r: f'{fmt(mib(r["memory"]["n_steady"]["rss_kib"]))} / {fmt(mib(r["memory"]["n_steady"]["hwm_kib"]))}'),
        ("RSS after a restart at N, MiB", lambda r: fmt(mib(r["restart"]["rss"]["rss_kib"]))),
        ("RSS after a restart with the unrelated Secrets, MiB", lambda r: f'{fmt(mib(r["memory"]["unrelated_secrets"]["after_restart"]["rss_kib"]))} ({r["memory"]["unrelated_secrets"]["count"]:,} Secrets)'),
        ("idle CPU, millicores (window)", lambda r: f'{fmt(r["cpu"]["millicores"], 2)} ({fmt(r["cpu"]["idle_seconds"], 0)} s)'),
        ("drift calls per hour on the token (100 apps; default budget)", lambda r: fmt(r["drift"].get("calls_per_hour_per_token"), 0)),
        ("bench wall time, s", lambda r: fmt(r.get("wall_seconds"), 0)),
    ]
    body = "".join(f"| {name} | " + " | ".join(f(r) for r in runs) + " |\n" for name, f in rows)
    big = runs[-1]
    goals = f"\nGoals of issue 14 as measured / goal (N = {big['config']['n']:,}, floor {fmt(big['floor']['seconds'])} s):\n\n"
    goals += "| goal | measured / goal | met |\n|---|---|---|\n"
    for g in big["goals"]:
        m = g["measured"]
        goals += f"| {g['goal']} | {fmt(m, 2)} {g['unit']} / {g['target']} | {fmt(g['met']) if g['met'] is not None else '–'} |\n"
    machine = big["machine"]
    note = (
        f"\nMachine: {machine.get('cpu')}, {machine.get('cores')} cores, {machine.get('memory')}; "
        f"load at start {machine.get('load_average_at_start')}. {big['versions'].get('hookwright')}, "
        f"{big['versions'].get('kube_apiserver')}; fake latency L = {big['config']['latency_ms']} ms, "
        f"C = {big['config']['concurrency']}, {big['config']['apps']} apps on one token.\n"
    )
    return head + body + goals + note


def splice(path, text):
    s = path.read_text()
    if BEGIN not in s or END not in s:
        sys.exit(f"report.py: {path} lacks the {BEGIN} / {END} markers")
    a, b = s.index(BEGIN) + len(BEGIN), s.index(END)
    path.write_text(s[:a] + "\n" + text + s[b:])


def main():
    runs = load()
    if not runs:
        sys.exit("report.py: no bench/results/<N>.json")
    chart(runs, RESULTS / "bench.png")
    t = table(runs)
    splice(ROOT / "bench" / "README.md", t)
    splice(ROOT / "README.md", t)
    print(t)


if __name__ == "__main__":
    main()
