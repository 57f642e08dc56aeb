"""The baseline: the same trace against llama-server's /infill, called the way llama.vim calls it.

Request body as in llama.vim's `llama#fim` (autoload/llama.vim): `input_prefix` = up to 256
lines above the cursor, `prompt` = the current line up to the cursor, `input_suffix` = the rest
of the line and up to 64 lines below, `input_extra` = ring-buffer chunks of other files
({text, time, filename}), `n_indent`, top_k 40 / top_p 0.90, samplers top_k, top_p, infill,
`cache_prompt`, `t_max_prompt_ms` 500 (not implemented by the server), `t_max_predict_ms` 250
(llama.vim's value for a request made while typing) and the same `response_fields`.
`n_predict` is the benchmark's (16) instead of llama.vim's 128.

Two ways to type, as in trace_replay.py: sequential, and the recorded gaps with llama.vim's
client logic: one request in flight at a time; a key that comes while one is in flight (re)arms
a 100 ms timer that tries again, so the newest text is sent once the server is free.
Also `llama_bench`: the raw prompt/decode rates that give coderd's floor.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from coderd.system.hardware import physical_cores

from .replay_stats import KeyResult, classify, infill_stats
from .traces import Document, Trace

N_PREFIX_LINES, N_SUFFIX_LINES = 256, 64  # llama.vim's defaults
# /infill cuts its prompt to n_batch (3/4 prefix, 1/4 suffix) and fills n_ctx - n_batch - 2 x the
# server's n_predict with input_extra. At -c 2048 with the default batch (2048) that is up to 1536
# prefix + 510 suffix tokens and no input_extra at all; with llama.vim's preset batch (-b 1024
# -ub 1024, as in llama-server's --fim-*-default) and the default n_predict (-1), 2052 tokens:
# HTTP 400 "exceeds the available context size". So the baseline also gets -n N (N = the
# request's n_predict), which keeps the prompt at most 2016 tokens.
PRESET_ARGS = ("-b", "1024", "-ub", "1024")
RETRY_S = 0.1  # llama.vim: "avoid sending repeated requests too fast"
RESPONSE_FIELDS = [
    "content",
    "timings/prompt_n",
    "timings/prompt_ms",
    "timings/prompt_per_token_ms",
    "timings/prompt_per_second",
    "timings/predicted_n",
    "timings/predicted_ms",
    "timings/predicted_per_token_ms",
    "timings/predicted_per_second",
    "truncated",
    "tokens_cached",
]


def fixed_threads(args) -> int:
    """llama-server's and llama-bench's threads: as asked, else their default (physical cores).
    coderd gets `args.threads` as is: 0 is its automatic count."""
    return args.threads or physical_cores()


def server_for(args, log: Path | None = None):
    """`llama_server` as the benchmark's arguments ask: their binary, model, threads and
    extra arguments."""
    return llama_server(
        args.llama_server,
        args.model,
        threads=fixed_threads(args),
        extra_args=args.server_args.split(),
        log=log,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def llama_server(
    binary: Path,
    model: Path,
    *,
    threads: int = 2,
    n_ctx: int = 2048,
    extra_args: list[str] = (),
    log: Path | None = None,
):
    """`llama-server --model M --port P --cache-reuse 256 -c 2048 -t 2`; yields (port, process)."""
    port = free_port()
    cmd = [
        str(binary),
        "--model",
        str(model),
        "--port",
        str(port),
        "--cache-reuse",
        "256",
        "-c",
        str(n_ctx),
        "-t",
        str(threads),
        *extra_args,
    ]
    out = open(log, "wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, _ = _call(port, "GET", "/health", None, timeout=2)
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"llama-server did not come up: {' '.join(cmd)}")
        yield port, proc
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log:
            out.close()


def _call(port: int, method: str, path: str, body: dict | None, timeout: float = 600):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(
            method,
            path,
            body=json.dumps(body) if body is not None else None,
            headers={"Content-Type": "application/json"},
        )
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def extra_chunks(trace: Trace, root: Path) -> list[dict]:
    """The trace's ring-buffer chunks as llama.vim sends them."""
    chunks = []
    for c in trace.extra:
        lines = (
            (root / c["filename"]).read_text(encoding="utf-8").split("\n")[c["start"] : c["end"]]
        )
        chunks.append({"text": "\n".join(lines) + "\n", "time": 0, "filename": c["filename"]})
    return chunks


def infill_body(
    doc: Document,
    line: int,
    col: int,
    extra: list[dict],
    n_predict: int,
    force_tokens: bool = False,
) -> dict:
    """llama.vim's request for the cursor at (line, col), code points.

    `force_tokens` (not llama.vim's): no `infill` sampler and `ignore_eos`, so that n_predict
    tokens are decoded, as coderd does with max_tokens. With random weights no token is likely
    enough for the infill sampler, which then answers end-of-text after one token.
    """
    cur = doc.lines[line]
    prefix_lines = doc.lines[max(0, line - N_PREFIX_LINES) : line]
    suffix_lines = doc.lines[line + 1 : line + 1 + N_SUFFIX_LINES]
    blank = cur.strip() == ""
    return {
        "input_prefix": "\n".join(prefix_lines) + "\n",
        "input_suffix": ("" if blank else cur[col:]) + "\n" + "\n".join(suffix_lines) + "\n",
        "input_extra": extra,
        "prompt": "" if blank else cur[:col],
        "n_predict": n_predict,
        "stop": [],
        "n_indent": 0 if blank else len(cur) - len(cur.lstrip()),
        "top_k": 40,
        "top_p": 0.90,
        "stream": False,
        "samplers": ["top_k", "top_p", "infill"],
        "cache_prompt": True,
        "t_max_prompt_ms": 500,
        "t_max_predict_ms": 250,
        "response_fields": RESPONSE_FIELDS,
        **({"samplers": ["top_k", "top_p"], "ignore_eos": True} if force_tokens else {}),
    }


def _post_infill(port: int, body: dict) -> tuple[dict | None, float, str]:
    try:
        status, raw = _call(port, "POST", "/infill", body)
    except OSError as exc:
        return None, time.perf_counter(), str(exc)
    done = time.perf_counter()
    if status != 200:
        return None, done, raw[:200].decode("utf-8", "replace")
    return json.loads(raw), done, ""


def _fill(result: KeyResult, resp: dict | None, done: float, error: str) -> None:
    result.answered_at = done
    if resp is None:
        result.outcome, result.text = "error", error
        return
    result.text = resp.get("content", "")
    result.outcome = "shown" if result.text.strip() else "empty"
    result.stats = infill_stats(resp)


def replay_infill(
    port: int,
    trace: Trace,
    text: str,
    extra: list[dict],
    n_predict: int = 16,
    force_tokens: bool = False,
) -> list[KeyResult]:
    """Sequential: one request per key, each waited for."""
    doc, results, index = Document(text), [], 0
    for si, seg in enumerate(trace.segments):
        doc.replace(seg.line, seg.character, len(doc.lines[seg.line]), "")
        col = seg.character
        for ch in seg.typed:
            doc.replace(seg.line, col, col, ch)
            col += 1
            results.append(
                infill_key(port, doc, si, index, seg.line, col, extra, n_predict, force_tokens)
            )
            index += 1
    classify(results)
    return results


def infill_key(
    port: int,
    doc: Document,
    segment: int,
    index: int,
    line: int,
    col: int,
    extra: list[dict],
    n_predict: int,
    force_tokens: bool,
) -> KeyResult:
    """One key's request, waited for (also called between coderd's, with --interleave)."""
    key_at = time.perf_counter()
    result = KeyResult(segment, index, key_at, key_at)
    _fill(result, *_post_infill(port, infill_body(doc, line, col, extra, n_predict, force_tokens)))
    return result


async def replay_infill_gaps(
    port: int,
    trace: Trace,
    text: str,
    extra: list[dict],
    n_predict: int = 16,
    force_tokens: bool = False,
) -> list[KeyResult]:
    """Recorded gaps, llama.vim's client: one request in flight, a 100 ms retry timer."""
    doc, results, index = Document(text), [], 0
    for si, seg in enumerate(trace.segments):
        doc.replace(seg.line, seg.character, len(doc.lines[seg.line]), "")
        col, state = seg.character, {"inflight": None, "key": None, "key_at": 0.0, "sent": -1}

        def fire():
            if state["inflight"] is not None and not state["inflight"].done():
                asyncio.get_running_loop().call_later(RETRY_S, fire)  # still busy: try again
                return
            if state["sent"] == state["key"]:
                return  # this text was already asked for
            state["sent"] = state["key"]
            result = KeyResult(si, state["key"], state["key_at"], time.perf_counter())
            results.append(result)
            body = infill_body(doc, seg.line, col, extra, n_predict, force_tokens)
            task = asyncio.ensure_future(asyncio.to_thread(_post_infill, port, body))
            task.add_done_callback(lambda t, r=result: _fill(r, *t.result()))
            state["inflight"] = task

        for k, ch in enumerate(seg.typed):
            if k:
                await asyncio.sleep(
                    max(0.0, state["key_at"] + seg.gaps_ms[k] / 1000 - time.perf_counter())
                )
            doc.replace(seg.line, col, col, ch)
            col += 1
            state["key"], state["key_at"] = index, time.perf_counter()
            fire()
            index += 1
        while state["sent"] != state["key"] or not state["inflight"].done():
            await asyncio.sleep(
                0.02
            )  # the pause after the segment: wait for the last text's answer
        await asyncio.sleep(0.5)
    classify(results)
    return results


def llama_bench(
    binary: Path, model: Path, *, prompt: int, gen: int, depth: int, threads: int = 2, reps: int = 2
) -> dict:
    """pp and tg tokens/s at the given depth (llama-bench -p P -n N -d D)."""
    cmd = [
        str(binary),
        "-m",
        str(model),
        "-p",
        str(prompt),
        "-n",
        str(gen),
        "-d",
        str(depth),
        "-t",
        str(threads),
        "-r",
        str(reps),
        "-o",
        "json",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = json.loads(out[out.index("[") :])
    pp = next(r["avg_ts"] for r in rows if r["n_prompt"] > 0 and r["n_gen"] == 0)
    tg = next(r["avg_ts"] for r in rows if r["n_gen"] > 0 and r["n_prompt"] == 0)
    return {
        "pp_tps": pp,
        "tg_tps": tg,
        "prompt": prompt,
        "gen": gen,
        "depth": depth,
        "floor_ms": prompt / pp * 1000 + gen / tg * 1000,
        "command": " ".join(cmd),
    }
