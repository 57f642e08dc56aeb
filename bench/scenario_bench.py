"""`lsp_trace.py --scenario ...`: the scenarios of scenarios.py run and reported side by side.

Per scenario: coderd (a fresh `coderd lsp` and home), then llama-server /infill the llama.vim
way on the same keys (a fresh server), then the llama-bench floor: `-p` coderd's median tokens
evaluated per model call for a key typed in place, `-d` its median prompt, `-n` max tokens.
Ratios are of figures measured in this one run. Printed: a table per scenario (replay_stats
.table), the ratios, the targets of issue #12's "Done when" with met / not met, every request
that evaluated (nearly) its whole prompt after the warm-up, with its stats, and coderd's
prewarm counts (coderd/status `prewarm`).
"""

from __future__ import annotations

import asyncio
import statistics

from . import infill_baseline as infill
from . import scenarios as sc
from .replay_stats import KeyResult, ratio, summarize, table
from .restart_scenario import coderd_restart, infill_restart, restart_subset
from .trace_replay import replay

SCENARIOS = ("open-wait-type", "bursts", "switch", "restart")
WHOLE = 0.9  # evaluated at least this share of the prompt: a whole-prompt evaluation (summarize)


def _infill_kw(args) -> dict:
    return {"n_predict": args.max_tokens, "force_tokens": not args.llama_vim_stops}


async def coderd_scenario(bench, name: str) -> tuple[list[KeyResult], dict]:
    """One scenario through a fresh coderd; its results and coderd/status at the end."""
    args = bench.args
    if name == "restart":  # two daemons one after the other (restart_scenario.py)
        return await coderd_restart(bench, args.open_wait)
    editors = await bench.editors(bench.spec(), 1)
    e, status = editors[0], {}
    try:
        if name == "open-wait-type":
            results = await sc.coderd_open_wait_type(e, bench.trace, bench.root, args.open_wait)
        elif name == "bursts":
            trace = sc.bursts(bench.trace, args.burst_keys)
            results = await replay(
                e,
                trace,
                bench.text,
                bench.path.as_uri(),
                gaps=True,
                cancel_stale=not args.no_cancel,
                segment_stats=True,
            )
        else:
            places = sc.switch_places(
                bench.trace, bench.root, args.switch_keys * args.switch_rounds
            )
            steps = sc.switch_steps(places, args.switch_keys, args.switch_rounds)
            results = await sc.coderd_switch(e, bench.trace, bench.root, places, steps)
        status = await e.status()
    finally:
        await bench.close(editors, {status.get("pid")} - {None})
    return results, status


def infill_scenario(bench, name: str) -> list[KeyResult]:
    args, kw = bench.args, _infill_kw(bench.args)
    if name == "restart":
        return infill_restart(bench, **kw)
    with infill.server_for(args) as (port, _proc):
        if name == "open-wait-type":
            return sc.infill_open_wait_type(port, bench.trace, bench.root, args.open_wait, **kw)
        if name == "bursts":
            trace = sc.bursts(bench.trace, args.burst_keys)
            extra = infill.extra_chunks(bench.trace, bench.root)
            return asyncio.run(infill.replay_infill_gaps(port, trace, bench.text, extra, **kw))
        places = sc.switch_places(bench.trace, bench.root, args.switch_keys * args.switch_rounds)
        steps = sc.switch_steps(places, args.switch_keys, args.switch_rounds)
        return sc.infill_switch(port, bench.trace, bench.root, places, steps, **kw)


def measured(bench, name: str, results: list[KeyResult]) -> list[KeyResult]:
    """The results a scenario's figures are over (the warm-up, index 0, stays for `first ms`)."""
    if name == "bursts":
        ends = sc.burst_last(sc.bursts(bench.trace, bench.args.burst_keys))
        return [r for r in results if r.index == 0 or r.index in ends]
    return results


def subsets(name: str, results: list[KeyResult]) -> list[tuple[str, list[KeyResult]]]:
    """(row suffix, results) pairs reported for a scenario; the first is the scenario's figure."""
    first = [r for r in results if r.index == 0]
    if name == "switch":
        back = first + [r for r in results if r.tag == "switch-back"]
        return [("first key after a switch back", back), ("every key", results)]
    if name == "restart":
        return [("first key after the restart", restart_subset(results)), ("every key", results)]
    if name == "open-wait-type":
        opened = first + [r for r in results if r.tag == "open"]
        return [("every key", results), ("first key after the open", opened)]
    return [("last key of each burst", results)]


def floor_for(bench, results: list[KeyResult], cache: dict) -> dict | None:
    """The llama-bench floor for a key typed in place at coderd's depth."""
    args = bench.args
    calls = [
        r.stats
        for r in results
        if r.index > 0 and r.tag == "" and r.stats and not r.stats.get("from_cache")
    ]
    if not args.llama_bench or not calls:
        return None
    p = max(1, round(statistics.median(s["evaluated"] for s in calls)))
    d = round(statistics.median(s["prompt_tokens"] for s in calls))
    if (p, d) not in cache:
        cache[p, d] = infill.llama_bench(
            args.llama_bench,
            args.model,
            prompt=p,
            gen=args.max_tokens,
            depth=d,
            threads=infill.fixed_threads(args),
        )
    return cache[p, d]


def whole_prompt_lines(results: list[KeyResult]) -> list[str]:
    out = []
    for r in results:
        s = r.stats
        if r.index == 0 or not s or s.get("from_cache") or not s.get("prompt_tokens"):
            continue
        if s["evaluated"] >= WHOLE * s["prompt_tokens"]:
            out.append(
                f"  - key {r.index} (segment {r.segment}{', ' + r.tag if r.tag else ''}): "
                f"evaluated {s['evaluated']} of {s['prompt_tokens']} prompt tokens "
                f"(context {s.get('context_tokens')}, restored {s.get('restored', 0)}), "
                f"prompt {s['prompt_ms']:.0f} ms, latency {_ms(r.latency_ms)}"
            )
    return out


def _ms(v) -> str:
    return "–" if v is None else f"{v:.0f} ms"


def _check(label: str, value, limit: float) -> str:
    if value is None:
        return f"{label}: – (not measured)"
    return f"{label}: {value:.2f} (target ≤ {limit}): {'met' if value <= limit else 'NOT met'}"


def _r(a, b):
    return a / b if a and b else None


def targets(name: str, ours: dict, theirs: dict | None, floor: dict | None) -> list[str]:
    """issue #12 "Done when" (2-core CPU) for the scenario's main figure."""
    f = floor["floor_ms"] if floor else None
    if name == "open-wait-type":
        out = [
            _check("p50 / floor", _r(ours["p50_ms"], f), 1.1),
            _check("p95 / floor", _r(ours["p95_ms"], f), 1.5),
        ]
        if theirs:
            out += [
                _check("p50 / llama-server p50", _r(ours["p50_ms"], theirs["p50_ms"]), 0.5),
                _check("p95 / llama-server p95", _r(ours["p95_ms"], theirs["p95_ms"]), 0.5),
            ]
        out.append(
            f"whole-prompt evaluations after the prewarm: {ours['whole_prompts']} (target 0): "
            + ("met" if ours["whole_prompts"] == 0 else "NOT met")
        )
        return out
    if name == "switch":
        return [_check("switch back p95 / floor", _r(ours["p95_ms"], f), 1.3)]
    if name == "restart":
        return [_check("first key after a restart, p95 / floor", _r(ours["p95_ms"], f), 1.5)]
    return []  # bursts: no target of its own in the issue


def report(bench, name: str, ours: list[KeyResult], status: dict, theirs, cache: dict) -> list:
    args = bench.args
    ours, theirs = measured(bench, name, ours), measured(bench, name, theirs or [])
    floor = floor_for(bench, ours, cache)
    rows, pairs = [], []
    for suffix, subset in subsets(name, ours):
        row = summarize(f"coderd lsp, {name}, {suffix}", bench.trace.keys, subset)
        rows.append(row)
        pairs.append([row, None])
    if theirs:
        for i, (suffix, subset) in enumerate(subsets(name, theirs)):
            row = summarize(f"llama-server /infill, {name}, {suffix}", bench.trace.keys, subset)
            rows.append(row)
            pairs[i][1] = row
    lines = [f"### {name}", "", *table(rows), ""]
    for c, i in pairs:
        label = c["label"].split(", ", 2)[2]
        parts = []
        if i:
            parts.append(
                f"coderd / llama-server p50 {ratio(c['p50_ms'], i['p50_ms'])}, "
                f"p95 {ratio(c['p95_ms'], i['p95_ms'])}"
            )
        if floor:
            parts.append(
                f"coderd / floor p50 {ratio(c['p50_ms'], floor['floor_ms'])}, "
                f"p95 {ratio(c['p95_ms'], floor['floor_ms'])}"
            )
        lines.append(f"- {label}: " + ("; ".join(parts) or "no baseline"))
    if floor:
        lines.append(
            f"- floor: `llama-bench -p {floor['prompt']} -n {floor['gen']} -d {floor['depth']}`: "
            f"pp {floor['pp_tps']:.1f} tok/s, tg {floor['tg_tps']:.1f} tok/s -> "
            f"{floor['floor_ms']:.0f} ms"
        )
    prewarm = {k: v for k, v in (status.get("prewarm") or {}).items() if k != "last"}
    lines.append(f"- coderd prewarms: {prewarm}")
    whole = whole_prompt_lines(ours)
    lines.append(f"- coderd whole-prompt evaluations after the first request: {len(whole)}")
    lines += whole
    lines += [f"- {t}" for t in targets(name, rows[0], pairs[0][1], floor)]
    if name == "open-wait-type" and args.segments != 1 and len(bench.trace.segments) > 1:
        lines.append("  (each segment is a fresh open of the file)")
    return lines + [""]


def run(bench) -> tuple[list[str], dict]:
    args, cache, lines, raw = bench.args, {}, [], {}
    for name in args.scenario:
        ours, status = asyncio.run(coderd_scenario(bench, name))
        theirs = infill_scenario(bench, name) if args.llama_server else None
        lines += report(bench, name, ours, status, theirs, cache)
        raw[name] = {
            "coderd": [r.__dict__ for r in ours],
            "infill": [r.__dict__ for r in theirs or []],
            "prewarm": status.get("prewarm"),
        }
    raw["floors"] = list(cache.values())
    return lines, raw
