"""Index a directory once and print throughput, definitions and peak memory (not a test).

    python bench/index_bench.py DIR [--max-file-bytes N]

For a repository of about 5,000 files, bench/README.md puts Django 5.0.6, SymPy 1.12 and the
context evaluation's packages side by side in one folder (`--fetch` in context_eval.py).

Peak RSS is the process's high-water mark (psutil / getrusage), interpreter included; the
"symbols" figure is the index's own rough estimate of what it keeps.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import psutil

from coderd.context.index.walk import WalkOptions
from coderd.context.index.workspace import WorkspaceIndex


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root")
    parser.add_argument("--max-file-bytes", type=int, default=1_000_000)
    args = parser.parse_args(argv)

    process = psutil.Process()
    rss_before = process.memory_info().rss
    index = WorkspaceIndex(args.root, WalkOptions(max_file_bytes=args.max_file_bytes))
    started = time.perf_counter()
    index.build()
    first_query_ms = None
    while not index.wait_ready(0.05):  # queries answer while the build runs
        if first_query_ms is None and index.stats().files:
            t = time.perf_counter()
            index.lookup("main")
            first_query_ms = (time.perf_counter() - t) * 1000
    elapsed = time.perf_counter() - started
    stats = index.stats(estimate_memory=True)
    bytes_parsed = sum(s.size for s in index.snapshot().values())
    # ru_maxrss is in KiB on Linux; it is the process's high-water mark.
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rss_after = process.memory_info().rss

    print(f"root              {index.root}")
    print(f"files indexed     {stats.files}")
    print(f"bytes parsed      {bytes_parsed / 1e6:.1f} MB")
    print(f"definitions       {stats.definitions}")
    print(f"imports           {stats.imports}")
    print(
        f"build             {elapsed:.2f} s  ({stats.files / elapsed:.0f} files/s, "
        f"{bytes_parsed / 1e6 / elapsed:.2f} MB/s)"
    )
    if first_query_ms is not None:
        print(f"lookup during build {first_query_ms:.3f} ms")
    t = time.perf_counter()
    for _ in range(1000):
        index.lookup("get")
    print(
        f"lookup('get')     {(time.perf_counter() - t):.3f} ms each "
        f"({len(index.lookup('get'))} hits)"
    )
    print(f"symbols estimate  {stats.memory_bytes / 1e6:.1f} MB")
    print(
        f"RSS               {rss_before / 1e6:.0f} MB before, {rss_after / 1e6:.0f} MB after "
        f"(delta {(rss_after - rss_before) / 1e6:.0f} MB), peak {peak_rss / 1e6:.0f} MB"
    )
    index.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
