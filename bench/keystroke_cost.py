"""CPU per keystroke outside the engine: the event loop's part and the index's buffer thread.

    python -m bench.keystroke_cost [--file PATH] [--copies 3] [--keys 30]

A workspace copy of coderd's own sources, one of its files made `--copies` times longer (an
1,100-line Python file by default), opened in a ContextProvider as the language server opens
it; then `--keys` characters typed at the end of a line in its middle, as didChange does. For
each key it prints what `provider.set_buffer` costs the caller (the event loop) and what the
buffer thread spends after it (parse, symbols, the warm-up and the look-ahead build): CPU time
of each thread, which load on the machine barely changes. `--full` extracts every key's
symbols from scratch, as before the incremental path (coderd/context/index/line_edits.py).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from coderd.config.settings import ContextSettings
from coderd.context.index import buffers
from coderd.context.provider import ContextProvider

REPO = Path(__file__).resolve().parents[1]


def measure(source: Path, copies: int, keys: int, full: bool) -> tuple[list[float], list[float]]:
    worker: list[float] = []
    real = buffers.EditorBuffers._apply_buffer

    def timed(self, *args):  # the buffer thread's work for one text
        started = time.thread_time()
        real(self, *args)
        worker.append((time.thread_time() - started) * 1000)

    buffers.EditorBuffers._apply_buffer = timed  # type: ignore[method-assign]
    if full:
        buffers.EditorBuffers._symbols_hold = lambda self, rel, data: None  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        shutil.copytree(REPO / "coderd", root / "coderd")
        target = root / source.relative_to(REPO)
        target.write_text(source.read_text() * copies)
        provider = ContextProvider(ContextSettings(), [root])
        index = provider.index_for(target)
        assert index is not None and index.wait_ready(120)
        text = target.read_text()
        provider.set_buffer(target, text).result(60)
        cursor = text.index("\n", len(text) // 2)
        provider.context_for(target, text, cursor, str.split, 256)
        loop: list[float] = []
        worker.clear()
        typed = ("x = compute(values, limit=3)  " * (keys // 30 + 1))[:keys]
        for ch in typed:
            text = text[:cursor] + ch + text[cursor:]
            cursor += 1
            started = time.thread_time()
            future = provider.set_buffer(target, text)
            loop.append((time.thread_time() - started) * 1000)
            future.result(60)
        provider.close()
    buffers.EditorBuffers._apply_buffer = real  # type: ignore[method-assign]
    return loop, worker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=REPO / "coderd/completion/service.py")
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--keys", type=int, default=30)
    parser.add_argument("--full", action="store_true", help="extract every key from scratch")
    args = parser.parse_args(argv)
    loop, worker = measure(args.file.resolve(), args.copies, args.keys, args.full)
    lines = (args.file.read_text() * args.copies).count("\n")
    print(f"{args.keys} keys in a {lines}-line file{' (full extraction)' if args.full else ''}:")
    print(f"event loop per key: p50 {statistics.median(loop):.2f} ms, max {max(loop):.2f} ms CPU")
    print(
        f"buffer thread per key: p50 {statistics.median(worker):.2f} ms, "
        f"max {max(worker):.2f} ms CPU"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
