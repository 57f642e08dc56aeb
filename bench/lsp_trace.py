"""Keystroke-to-suggestion latency through the real language server, beside llama-server /infill.

    python -m bench.lsp_trace --model M.gguf [--llama-server BIN --llama-bench BIN]
        [--trace bench/traces/email-message.json] [--interleave] [--gaps] [--editors 3] [--typing-through]
        [--scenario open-wait-type --scenario bursts --scenario switch --scenario restart]  (scenario_bench.py)

The trace (bench/traces.py) is replayed through `coderd lsp` spawned over stdio with a real LSP
client (trace_replay.py), and the same trace through llama-server's /infill the way llama.vim
calls it (infill_baseline.py). Each run gets a fresh server and a fresh scratch home (so a
shared daemon never carries a warm cache from one run into the next). The workspace is a
scratch copy of the trace's package, opened as the LSP workspace folder, so coderd's index
gives repository context. Printed: a markdown table (runs, ratios, the llama-bench floor, memory).
Other jobs on the machine skew every figure: note the load average printed with it, and prefer
--interleave (coderd and llama-server key by key) on a shared machine. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import psutil

from . import infill_baseline as infill
from . import scenario_bench, scenarios
from .memory import mb, measure, proc_rss
from .replay_stats import classify, ratio, summarize, table
from .trace_replay import Editor, ServerSpec, coderd_command, replay, scratch_env, typing_through
from .traces import Trace, check_segments, materialise

DEFAULT_TRACE = Path(__file__).with_name("traces") / "email-message.json"


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--model", type=Path, required=True, help="GGUF for both coderd and llama-server"
    )
    p.add_argument("--trace", type=Path, default=DEFAULT_TRACE)
    p.add_argument(
        "--llama-server", type=Path, help="llama-server binary: adds the /infill baseline"
    )
    p.add_argument("--llama-bench", type=Path, help="llama-bench binary: adds the floor")
    p.add_argument(
        "--server-args",
        help="more llama-server arguments (default: -b 1024 -ub 1024 -n MAX_TOKENS, see "
        "infill_baseline.PRESET_ARGS: without them llama.vim's request overflows -c 2048)",
    )
    p.add_argument(
        "--llama-vim-stops",
        action="store_true",
        help="keep llama.vim's infill sampler and end-of-text (by default the baseline drops "
        "them so that it decodes --max-tokens like coderd: with random weights the "
        "infill sampler ends every request after one token)",
    )
    p.add_argument(
        "--interleave",
        action="store_true",
        help="sequential runs of coderd and llama-server key by key, both servers up "
        "(fairer on a machine shared with other jobs)",
    )
    p.add_argument("--gaps", action="store_true", help="also replay at the trace's inter-key gaps")
    p.add_argument(
        "--no-cancel", action="store_true", help="gaps: no $/cancelRequest from the client"
    )
    p.add_argument(
        "--editors", type=int, default=1, help="also measure memory with this many editors"
    )
    p.add_argument(
        "--typing-through", action="store_true", help="also: type the suggestion on screen"
    )
    p.add_argument("--max-tokens", type=int, default=16, help="tokens decoded per request (both)")
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="CPU threads; 0 (default): coderd's automatic count (the cores other programs "
        "leave free), llama-server and llama-bench the physical cores, as their own defaults",
    )
    p.add_argument(
        "--coderd-options",
        help='more initializationOptions, e.g. \'{"completion": {"latency_target_ms": 5000}}\'',
    )
    p.add_argument("--segments", type=int, help="replay only the first N segments (quick checks)")
    p.add_argument(
        "--standalone",
        action="store_true",
        help="`coderd lsp --standalone`: the model in each editor's server, no daemon",
    )
    p.add_argument(
        "--scenario",
        action="append",
        choices=scenario_bench.SCENARIOS,
        help="run this scenario of issue #12 instead of the runs above (scenarios.py); repeatable",
    )
    p.add_argument("--open-wait", type=float, default=2.0, help="open-wait-type: idle seconds")
    p.add_argument(
        "--generic-client",
        action="store_true",
        help="send no coderd/didMoveCursor on an open or a switch (coderd's own clients do)",
    )
    p.add_argument("--burst-keys", type=int, default=scenarios.BURST_KEYS)
    p.add_argument("--switch-keys", type=int, default=scenarios.SWITCH_KEYS, help="keys per visit")
    p.add_argument("--switch-rounds", type=int, default=scenarios.SWITCH_ROUNDS)
    p.add_argument("--json", type=Path, help="also write every figure and request here")
    args = p.parse_args(argv)
    if args.server_args is None:
        args.server_args = " ".join([*infill.PRESET_ARGS, "-n", str(args.max_tokens)])
    return args


class Bench:
    def __init__(self, args) -> None:
        self.args = args
        self.trace = Trace.load(args.trace)
        if args.segments:
            self.trace.segments = self.trace.segments[: args.segments]
        self.scratch = Path(tempfile.mkdtemp(prefix="coderd-lsp-trace-"))
        self.root = self.scratch / "ws"
        self.path = materialise(self.trace, self.root, args.trace)
        self.text = self.path.read_text(encoding="utf-8")
        check_segments(self.trace, self.text)
        self.homes = 0

    def spec(self, extra_options: dict | None = None) -> ServerSpec:
        self.homes += 1  # a fresh home per run: its own daemon, cold caches
        home = self.scratch / f"home{self.homes}"
        env = scratch_env(home, CODERD_MODEL_PATH=str(self.args.model))
        # ...except the speed profile (engine/speed.py), measured once per model and machine as
        # for a user: the first run measures it, the others reuse it and size prompts alike.
        measured = self.scratch / "home1" / "cache" / "coderd" / "speed.json"
        if self.homes > 1 and measured.is_file():
            (home / "cache" / "coderd").mkdir(parents=True, exist_ok=True)
            shutil.copy(measured, home / "cache" / "coderd" / "speed.json")
        options = {
            "completion": {"max_tokens": self.args.max_tokens, "time_budget_ms": 60_000},
            "model": {"threads": self.args.threads},
        }
        for extra in (json.loads(self.args.coderd_options or "{}"), extra_options or {}):
            for section, values in extra.items():
                options.setdefault(section, {}).update(values)
        return ServerSpec(
            coderd_command(self.args.standalone),
            env,
            options,
            cursor_hints=not self.args.generic_client,
        )

    async def editors(self, spec: ServerSpec, n: int) -> list[Editor]:
        editors = await asyncio.gather(*(Editor(spec, self.root).start() for _ in range(n)))
        for e in editors:
            status = await e.wait_ready()
            if status.get("state") not in ("ready", "prefix-only"):
                raise SystemExit(f"coderd did not load the model: {status} {e.messages}")
        await asyncio.sleep(2.0)  # let the workspace index finish its first walk
        return list(editors)

    async def close(self, editors: list[Editor], model_pids: set[int]) -> None:
        await asyncio.gather(*(e.close() for e in editors))
        for pid in model_pids - {
            e.pid for e in editors
        }:  # a daemon that one of our editors started
            try:
                psutil.Process(pid).terminate()
            except psutil.Error:
                pass

    async def coderd_run(
        self, label: str, how: str, after_key=None, options: dict | None = None
    ) -> tuple[dict, dict]:
        editors = await self.editors(self.spec(options), 1)
        e = editors[0]
        uri = self.path.as_uri()
        before = await e.status()
        if how == "through":
            results = await typing_through(e, self.trace, self.text, uri)
        else:
            results = await replay(
                e,
                self.trace,
                self.text,
                uri,
                gaps=how == "gaps",
                cancel_stale=not self.args.no_cancel,
                after_key=after_key,
            )
        after = await e.status()
        summary = summarize(label, self.trace.keys, results)
        summary["cache_counter"] = {
            k: after["cache"][k] - before["cache"][k] for k in after["cache"]
        }
        memory = measure(editors, [after])
        await self.close(editors, {after.get("pid")} - {None})
        summary["memory"] = memory
        return summary, {"results": [r.__dict__ for r in results]}

    async def memory_with(self, n: int) -> dict:
        editors = await self.editors(self.spec(), n)
        uri = self.path.as_uri()
        for e in editors:  # one request each, so that every model holder has its KV cache
            e.open(uri, self.text, self.trace.language_id)
            seg = self.trace.segments[0]
            await asyncio.wrap_future(e.request(uri, (seg.line, seg.character), f"mem-{id(e)}"))
        statuses = [await e.status() for e in editors]
        memory = measure(editors, statuses)
        await self.close(editors, {s.get("pid") for s in statuses} - {None})
        return memory

    async def interleaved(self) -> tuple[dict, dict, dict]:
        """coderd and llama-server key by key: each key's two requests seconds apart, so that
        load from other jobs falls on both alike. coderd's speculation is off: it would run
        during llama-server's request (it never gets to run in a sequential replay anyway)."""
        extra, infill_results = infill.extra_chunks(self.trace, self.root), []
        with infill.server_for(self.args) as (port, proc):

            async def after_key(si, index, doc, line, col):
                infill_results.append(
                    await asyncio.to_thread(
                        infill.infill_key,
                        port,
                        doc,
                        si,
                        index,
                        line,
                        col,
                        extra,
                        self.args.max_tokens,
                        not self.args.llama_vim_stops,
                    )
                )

            summary, detail = await self.coderd_run(
                "coderd lsp, sequential, interleaved",
                "sequential",
                after_key,
                {"completion": {"speculate": False}},
            )
            rss = proc_rss(proc.pid)[0]
        classify(infill_results)
        other = summarize(
            "llama-server /infill, sequential, interleaved", self.trace.keys, infill_results
        )
        other["memory"] = {"model_rss_mb": mb(rss)}
        return summary, other, {**detail, "infill_results": [r.__dict__ for r in infill_results]}

    def infill_runs(self) -> list[dict]:
        extra = infill.extra_chunks(self.trace, self.root)
        runs = []
        modes = [] if self.args.interleave else [("llama-server /infill, sequential", False)]
        if self.args.gaps:
            modes.append(("llama-server /infill, gaps (llama.vim client)", True))
        for label, gaps in modes:
            log = self.scratch / f"llama-server-{len(runs)}.log"
            with infill.server_for(self.args, log) as (port, proc):
                if gaps:
                    results = asyncio.run(
                        infill.replay_infill_gaps(
                            port,
                            self.trace,
                            self.text,
                            extra,
                            self.args.max_tokens,
                            not self.args.llama_vim_stops,
                        )
                    )
                else:
                    results = infill.replay_infill(
                        port,
                        self.trace,
                        self.text,
                        extra,
                        self.args.max_tokens,
                        not self.args.llama_vim_stops,
                    )
                summary = summarize(label, self.trace.keys, results)
                summary["memory"] = {"model_rss_mb": mb(proc_rss(proc.pid)[0])}
            errors = [r.text for r in results if r.outcome == "error"]
            if errors:
                summary["errors"] = errors[:3]
            runs.append(summary)
        return runs


async def run_coderd(bench: Bench, args) -> tuple[list[dict], list[dict], list[dict]]:
    runs, raw, infill_runs = [], [], []
    plan = [] if args.interleave else [("coderd lsp, sequential", "sequential")]
    if args.interleave:
        if not args.llama_server:
            raise SystemExit("--interleave needs --llama-server")
        ours, theirs, detail = await bench.interleaved()
        runs.append(ours)
        infill_runs.append(theirs)
        raw.append(detail)
    if args.gaps:
        plan.append(
            (
                "coderd lsp, gaps"
                + (" (no client cancel)" if args.no_cancel else " + $/cancelRequest"),
                "gaps",
            )
        )
    if args.typing_through:
        plan.append(("coderd lsp, typing through the suggestion", "through"))
    for label, how in plan:
        summary, detail = await bench.coderd_run(label, how)
        runs.append(summary)
        raw.append(detail)
    memory = [runs[0]["memory"]]
    if args.editors > 1:
        memory.append(await bench.memory_with(args.editors))
    return runs, infill_runs, raw + [{"memory": memory}]


def main(argv=None) -> int:
    args = parse_args(argv)
    bench = Bench(args)
    load = os.getloadavg()
    started = time.time()
    if args.scenario:
        try:
            lines, raw = scenario_bench.run(bench)
        finally:
            shutil.rmtree(bench.scratch, ignore_errors=True)
        print("\n".join(header(args, bench, load, time.time() - started) + lines))
        if args.json:
            args.json.write_text(json.dumps(raw, indent=1, default=str))
        return 0
    try:
        coderd_runs, infill_runs, raw = asyncio.run(run_coderd(bench, args))
        infill_runs += bench.infill_runs() if args.llama_server else []
        seq = coderd_runs[0]
        floor = None
        if args.llama_bench and seq["evaluated_per_model_call"] is not None:
            floor = infill.llama_bench(
                args.llama_bench,
                args.model,
                prompt=max(1, round(seq["evaluated_per_model_call"])),
                gen=args.max_tokens,
                depth=round(seq["prompt_tokens"] or 0),
                threads=infill.fixed_threads(args),
            )
    finally:
        shutil.rmtree(bench.scratch, ignore_errors=True)
    report(args, bench, coderd_runs, infill_runs, floor, raw, load, time.time() - started)
    return 0


def header(args, bench, load, elapsed) -> list[str]:
    t = bench.trace
    lines = [
        f"model: {args.model}",
        f"trace: {args.trace} ({len(t.segments)} segments, {t.keys} keys into {t.file}); "
        f"{args.max_tokens} tokens decoded per request at most, "
        f"{args.threads or 'automatic'} threads for coderd; "
        f"first request excluded; coderd lsp{' --standalone' if args.standalone else ''}",
    ]
    if args.llama_server:
        stops = (
            "llama.vim's samplers"
            if args.llama_vim_stops
            else f"but samplers top_k, top_p and ignore_eos (decodes {args.max_tokens})"
        )
        lines.append(
            f"llama-server: --cache-reuse 256 -c 2048 -t {infill.fixed_threads(args)} {args.server_args}; "
            f"llama.vim's request body, n_predict {args.max_tokens}, {stops}"
        )
    lines += [
        f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; after: "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
        + f"; {elapsed:.0f} s",
        "",
    ]
    return lines


def report(args, bench, coderd_runs, infill_runs, floor, raw, load, elapsed) -> None:
    t = bench.trace
    lines = header(args, bench, load, elapsed)
    lines += table(coderd_runs + infill_runs)
    pairs = [(coderd_runs[0], infill_runs[0])] if infill_runs else []
    gaps_c = [r for r in coderd_runs if "gaps" in r["label"]]
    gaps_i = [r for r in infill_runs if "gaps" in r["label"]]
    if gaps_c and gaps_i:
        pairs.append((gaps_c[0], gaps_i[0]))
    lines.append("")
    for c, i in pairs:
        lines.append(
            f"- coderd / llama-server ({c['label'].split(', ', 1)[1]}): p50 {ratio(c['p50_ms'], i['p50_ms'])}, "
            f"p95 {ratio(c['p95_ms'], i['p95_ms'])}"
        )
    if floor:
        seq = coderd_runs[0]
        lines.append(
            f"- floor: `llama-bench -p {floor['prompt']} -n {floor['gen']} -d {floor['depth']}`: "
            f"pp {floor['pp_tps']:.1f} tok/s, tg {floor['tg_tps']:.1f} tok/s -> "
            f"{floor['floor_ms']:.0f} ms; coderd p50 / floor = {ratio(seq['p50_ms'], floor['floor_ms'])}; "
            f"coderd decode {seq['decode_tps']} tok/s vs tg {floor['tg_tps']:.1f}"
        )
    for m in raw[-1]["memory"]:
        lines.append(
            f"- memory, {m['editors']} editor(s), {m['mode']}: model process(es) RSS {m['model_rss_mb']} MB "
            f"(PSS {m['model_pss_mb']} MB), relays {m['relay_rss_mb']} MB"
            + ("" if m["status_pid"] else " (pid not in coderd/status: server processes)")
        )
    for r in infill_runs:
        lines.append(
            f"- {r['label']}: llama-server RSS {r['memory']['model_rss_mb']} MB"
            + (f"; errors: {r['errors']}" if r.get("errors") else "")
        )
    through = [r for r in coderd_runs if "through" in r["label"]]
    for r in through:
        first_keys = len(t.segments)
        counted = r["requests"] - first_keys
        hits = r["from_cache"]
        lines.append(
            f"- typing through: {hits} of {counted} keystrokes after each segment's first answered "
            f"without a model call ({hits / max(1, counted):.0%}), p50 {r['cache_p50_ms']} ms"
        )
    print("\n".join(lines))
    if args.json:
        args.json.write_text(
            json.dumps(
                {"coderd": coderd_runs, "infill": infill_runs, "floor": floor, "raw": raw},
                indent=1,
                default=str,
            )
        )


if __name__ == "__main__":
    raise SystemExit(main())
