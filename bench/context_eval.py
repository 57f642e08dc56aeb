"""Cross-file context evaluation: recall of the gold definition in the packed context (not a test).

    python bench/context_eval.py [PACKAGE_DIR ...] [--max-per-kind N] [--budgets 256,512,1024,2048]
    python bench/context_eval.py --fetch DIR      # download the default packages into DIR

Samples come from real packages (default: requests, click, rxjs's TypeScript sources, cobra).
In each source file, a line that uses a symbol defined in another file of the same package is
masked (the cursor sits at the line's first non-blank character and the rest of the line is
gone); the gold is that definition. Kinds:

* import   a name the file imports directly (`from .models import Request`, `import {map}`);
* module   attribute access through an imported module (`utils.quote(...)`, `ns.x`, `cobra.Command`);
* method   `obj.name(...)` where `name` is a method of a class (type) defined in another file;
* package  (Go) a name defined in another file of the same package (no import needed).

The gold must be unambiguous: the only definition of that name (method name, for `method`)
among the package's non-test files, and not defined in the current file.

A gold counts as found when a packed chunk from the gold's file covers the gold's header line
and that line's text is in the packed text (a class shown with its member signatures covers
the members it shows). MRR is over the ranked candidates before packing (1/rank, 0 if absent).
Latency is the full build (retrieve, pack, tokenise) with the provider's cache cleared, after
the index is built.

Systems: none (no context); jaccard (RepoCoder: 20-line windows, stride 10, over every other
file, query = the 20 lines above the cursor); recent (the same windows, only from a ring of 3
recently viewed files, chosen at random per sample: no editing history exists here); coderd
(ContextProvider with the same 3 files in its ring buffer).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from coderd.config import ContextSettings
from coderd.context.extract import Definition
from coderd.context.index import DefinitionRef, WorkspaceIndex
from coderd.context.pack import pack
from coderd.context.provider import ContextProvider
from coderd.context.recent import RecentRegions, jaccard
from coderd.context.registry import IndexRegistry
from coderd.context.retrieve import Candidate, line_uses

DATA = Path("/work/evaldata/src")
DEFAULT_PACKAGES = ["requests-2.32.3", "click-8.1.7", "rxjs/package", "cobra"]
VOCAB = Path("/work/shared/fixtures/ggml-vocab-deepseek-coder.gguf")
TEST_PART = re.compile(r"(^|/)(tests?|testing|docs?|examples?|__tests__|spec|spec-dtslint|benchmarks?)(/|$)")
IMPORT_LINE = re.compile(r"^\s*(import\b|from\s+\S+\s+import\b|#include|use\s|package\s|export\s+\*|export\s*\{)")
WINDOW, STRIDE, QUERY_LINES = 20, 10, 20
RING = 3
# Method names that builtin types have too: `d.items()` is rarely the package's own method.
BUILTIN_METHODS = {n for t in (dict, list, str, set, bytes, object, int, tuple, frozenset)
                   for n in dir(t)} | set(
    "map filter reduce push pop shift unshift slice splice concat join forEach find some every "
    "includes indexOf keys values entries then catch finally call apply bind toString valueOf "
    "next return throw subscribe add delete has get set clear size length Error String Close "
    "Write Read Error Len Less Swap".split())


def is_test(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return bool(TEST_PART.search(path)) or name.startswith("test_") or name.endswith(
        ("_test.go", ".spec.ts", ".test.ts", "conftest.py")) or name.endswith(".d.ts")


def header_line(lines: list[str], definition: Definition) -> int:
    row = definition.start_line - 1
    while row + 1 < len(lines) and (lines[row].lstrip().startswith(("@", "#[", "//", "/*", "*"))
                                    or not lines[row].strip()):
        row += 1
    return row + 1


def code_lines(lines: list[str], language: str) -> set[int]:
    """Rows that are not code to complete: import statements (all their lines), comments,
    docstrings and block comments."""
    skip: set[int] = set()
    in_import = in_string = False
    quote = '"""'
    for row, line in enumerate(lines):
        stripped = line.strip()
        if in_string:
            skip.add(row)
            if quote in stripped:
                in_string = False
            continue
        if in_import:
            skip.add(row)
            if ")" in stripped or "}" in stripped:
                in_import = False
            continue
        if IMPORT_LINE.match(line):
            skip.add(row)
            in_import = stripped.endswith(("(", "{", ",")) or ("(" in stripped and ")" not in stripped)
            continue
        if stripped.startswith(("#", "//", "*", "/*")):
            skip.add(row)
            if stripped.startswith("/*") and "*/" not in stripped:
                in_string, quote = True, "*/"
            continue
        if language == "python":
            for q in ('"""', "'''"):
                if stripped.startswith((q, "r" + q, "f" + q)) or (q in stripped and stripped.count(q) % 2):
                    skip.add(row)
                    if stripped.count(q) % 2:
                        in_string, quote = True, q
                    break
    return skip


def build_samples(index: WorkspaceIndex, max_per_kind: int, rng: random.Random) -> list[dict]:
    files = {p: s for p, s in index.snapshot().items() if not is_test(p)}
    top: dict[str, list[DefinitionRef]] = {}
    methods: dict[str, list[DefinitionRef]] = {}
    for path, symbols in files.items():
        for d in symbols.definitions:
            if d.kind in ("variable",) or len(d.name) < 3:
                continue
            (methods if d.container else top).setdefault(d.name, []).append(DefinitionRef(path, d))
    by_kind: dict[str, list[dict]] = {}
    for path, symbols in sorted(files.items()):
        text = (index.root / path).read_text("utf-8", "replace")
        lines = text.split("\n")
        local = {d.name for d in symbols.definitions}
        imported, modules = set(), set()
        for st in symbols.imports:
            renamed = dict(st.aliases)
            for name in st.names:
                imported.add(renamed.get(name, name))
            if st.module in renamed:
                modules.add(renamed[st.module])
            elif not st.names:
                parts = [p for p in re.split(r"[./:]+", st.module.strip("\"'")) if p]
                if parts:
                    modules.add(parts[-1])
            for name in st.names:  # `from . import utils`: a module imported by name
                if any(f.rsplit("/", 1)[-1].split(".")[0] == name for f in files):
                    modules.add(renamed.get(name, name))
        directory = path.rpartition("/")[0]
        skip = code_lines(lines, symbols.language)
        for row, line in enumerate(lines):
            if row in skip or not line.strip() or row < 3:
                continue
            if any(d.start_line == row + 1 for d in symbols.definitions):
                continue  # a definition's own header
            sample = None
            for name, base in line_uses(line):
                if name in local:
                    continue
                refs = top.get(name, [])
                if base == "" and len(refs) == 1 and refs[0].path != path:
                    if name in imported and name not in modules:
                        sample = ("import", refs[0])
                    elif symbols.language == "go" and refs[0].path.rpartition("/")[0] == directory:
                        sample = ("package", refs[0])
                elif base in modules and len(refs) == 1 and refs[0].path != path:
                    sample = ("module", refs[0])
                elif base and base not in modules and name not in top and len(name) >= 4 \
                        and name not in BUILTIN_METHODS:
                    mrefs = methods.get(name, [])
                    if len(mrefs) == 1 and mrefs[0].path != path:
                        sample = ("method", mrefs[0])
                if sample:
                    break
            if sample is None:
                continue
            kind, gold = sample
            indent = len(line) - len(line.lstrip())
            masked = "\n".join(lines[:row] + [line[:indent]] + lines[row + 1:])
            offset = sum(len(l) + 1 for l in lines[:row]) + indent
            gold_lines = (index.root / gold.path).read_text("utf-8", "replace").split("\n")
            h = header_line(gold_lines, gold.definition)
            by_kind.setdefault(kind, []).append({
                "path": path, "row": row, "text": masked, "offset": offset, "kind": kind,
                "gold_path": gold.path, "gold_name": gold.definition.name,
                "gold_line": h, "gold_text": gold_lines[h - 1].strip()})
    samples = []
    for kind, found in sorted(by_kind.items()):
        rng.shuffle(found)
        samples += found[:max_per_kind]
    return samples


def covered(chunks: list[dict], text: str, sample: dict) -> bool:
    return sample["gold_text"] in text and any(
        c["path"] == sample["gold_path"] and c["lines"][0] <= sample["gold_line"] <= c["lines"][1]
        for c in chunks)


def rank_of(refs: list[DefinitionRef], sample: dict) -> int:
    for i, ref in enumerate(refs, 1):
        d = ref.definition
        if ref.path == sample["gold_path"] and d.start_line <= sample["gold_line"] <= d.end_line:
            return i
    return 0


class Windows:
    """RepoCoder-style sliding windows over every file of the package."""

    def __init__(self, index: WorkspaceIndex) -> None:
        self.index = index
        self.windows: list[tuple[str, int, int, frozenset[str]]] = []
        self.texts: dict[str, str] = {}
        ident = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
        for path in sorted(index.snapshot()):
            text = (index.root / path).read_text("utf-8", "replace")
            self.texts[path] = text
            lines = text.split("\n")
            toks = [ident.findall(l) for l in lines]
            for start in range(0, max(1, len(lines) - WINDOW + STRIDE), STRIDE):
                words = frozenset(w for row in toks[start:start + WINDOW] for w in row)
                if words:
                    self.windows.append((path, start + 1, min(len(lines), start + WINDOW), words))

    def ranked(self, sample: dict, only: set[str] | None = None) -> list[DefinitionRef]:
        text, offset = sample["text"], sample["offset"]
        lines = text[: text.rfind("\n", 0, offset) + 1].split("\n")[-QUERY_LINES - 1:]
        query = frozenset(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", "\n".join(lines)))
        scored = [(jaccard(query, w), p, s, e) for p, s, e, w in self.windows
                  if p != sample["path"] and (only is None or p in only)]
        scored = [x for x in scored if x[0] > 0]
        scored.sort(key=lambda x: (-x[0], x[1], x[2]))
        return [DefinitionRef(p, Definition(f"{p}:{s}", "window", "", "", s, e)) for _, p, s, e in scored[:200]]

    def pack(self, refs: list[DefinitionRef], sample: dict, tokenize, budget: int):
        return pack([Candidate(r, "jaccard") for r in refs], current_path=sample["path"],
                    read=self.texts.get, members_of=lambda f, c: [], tokenize=tokenize, budget=budget)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def evaluate(root: Path, budgets: list[int], max_per_kind: int, tokenize, seed: int, model_tokenize=None) -> dict:
    model_tokenize = model_tokenize or tokenize  # the provider's own (it memoises by itself)
    rng = random.Random(seed)
    index = WorkspaceIndex(root)
    started = time.perf_counter()
    index.rescan()
    index_s = time.perf_counter() - started
    samples = build_samples(index, max_per_kind, rng)
    index.close()
    registry = IndexRegistry()
    provider = ContextProvider(ContextSettings(budget_tokens=budgets[0]), [root], registry=registry)
    assert provider.index_for(root / "x").wait_ready(120)
    windows = Windows(provider.index_for(root / "x"))
    all_files = sorted(p for p in windows.texts if not is_test(p))
    results = {s: {b: [] for b in budgets} for s in ("none", "jaccard", "recent", "coderd")}
    rr = {s: [] for s in ("jaccard", "recent", "coderd")}
    latency = {b: [] for b in budgets}
    per_kind: dict[str, dict[str, list[bool]]] = {}
    for sample in samples:
        path = root / sample["path"]
        ring_files = rng.sample([f for f in all_files if f != sample["path"]], min(RING, len(all_files) - 1))
        provider.recent = RecentRegions()
        for f in ring_files:
            provider.recent.record(root / f, rng.randint(1, max(1, windows.texts[f].count("\n"))), "view")
        jac = windows.ranked(sample)
        rec = windows.ranked(sample, set(ring_files))
        from coderd.context.retrieve import retrieve

        index = provider.index_for(path)
        ours = [c.ref for c in retrieve(index, sample["path"], sample["text"], sample["offset"],
                                        provider.settings.nearby_lines, recent=provider.recent)]
        rr["jaccard"].append(1 / r if (r := rank_of(jac, sample)) else 0)
        rr["recent"].append(1 / r if (r := rank_of(rec, sample)) else 0)
        rr["coderd"].append(1 / r if (r := rank_of(ours, sample)) else 0)
        for budget in budgets:
            results["none"][budget].append(False)
            p = windows.pack(jac, sample, tokenize, budget)
            results["jaccard"][budget].append(covered(p.chunks, p.text, sample))
            p = windows.pack(rec, sample, tokenize, budget)
            results["recent"][budget].append(covered(p.chunks, p.text, sample))
            provider.settings = replace(provider.settings, budget_tokens=budget)
            provider._last.clear()
            t = time.perf_counter()
            packed = provider.context_for(path, sample["text"], sample["offset"], model_tokenize)
            latency[budget].append((time.perf_counter() - t) * 1000)
            hit = covered(packed.chunks, packed.text, sample)
            results["coderd"][budget].append(hit)
            per_kind.setdefault(sample["kind"], {}).setdefault(budget, []).append(hit)
    provider.close()
    n = len(samples)
    return {
        "package": root.name if root.name != "package" else root.parent.name,
        "files": len(windows.texts), "index_s": index_s, "samples": n,
        "kinds": {k: len(v[budgets[0]]) for k, v in per_kind.items()},
        "recall": {s: {b: sum(v) / n if n else 0 for b, v in by.items()} for s, by in results.items()},
        "recall_by_kind": {k: {b: sum(v) / len(v) for b, v in by.items()} for k, by in per_kind.items()},
        "mrr": {s: sum(v) / n if n else 0 for s, v in rr.items()},
        "latency_ms": {b: {"p50": statistics.median(v) if v else 0, "p95": percentile(v, 0.95)}
                       for b, v in latency.items()},
    }


def fetch(target: Path) -> None:
    """Download the default packages (PyPI sdists, npm tarball); cobra comes from Debian."""
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                    "requests==2.32.3", "click==8.1.7", "-d", str(target)], check=True)
    subprocess.run(["npm", "pack", "rxjs@7.8.1"], cwd=target, check=True)
    for archive in ("requests-2.32.3.tar.gz", "click-8.1.7.tar.gz"):
        subprocess.run(["tar", "xzf", archive], cwd=target, check=True)
    (target / "rxjs").mkdir(exist_ok=True)
    subprocess.run(["tar", "xzf", "rxjs-7.8.1.tgz", "-C", "rxjs"], cwd=target, check=True)
    cobra = Path("/usr/share/gocode/src/github.com/spf13/cobra")
    if cobra.is_dir():
        subprocess.run(["cp", "-rL", str(cobra), str(target / "cobra")], check=True)
    else:
        print("cobra: apt-get install -y --no-install-recommends golang-github-spf13-cobra-dev",
              file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", type=Path)
    parser.add_argument("--data", type=Path, default=DATA, help="where the default packages are")
    parser.add_argument("--fetch", type=Path, help="download the default packages into this folder and stop")
    parser.add_argument("--budgets", default="256,512,1024,2048")
    parser.add_argument("--max-per-kind", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.fetch:
        fetch(args.fetch)
        return 0
    from coderd.engine.llama_runtime import LlamaModel

    model = LlamaModel(VOCAB, gpu_layers=0, vocab_only=True)
    budgets = [int(b) for b in args.budgets.split(",")]
    roots = args.packages or [args.data / p for p in DEFAULT_PACKAGES]
    memo: dict[str, list[int]] = {}

    def tokenize(text: str) -> list[int]:  # baselines re-pack the same windows for every budget
        ids = memo.get(text)
        if ids is None:
            ids = memo[text] = model.tokenize(text)
        return ids

    reports = [evaluate(r.resolve(), budgets, args.max_per_kind, tokenize, args.seed, model.tokenize) for r in roots]
    if args.json:
        print(json.dumps(reports, indent=1))
    else:
        print_table(reports, budgets)
    model.close()
    return 0


def print_table(reports: list[dict], budgets: list[int]) -> None:
    head = "| package (files, samples) | system | " + " | ".join(f"R@{b}" for b in budgets) + " | MRR |"
    print(head)
    print("|" + "---|" * (len(budgets) + 3))
    for r in reports:
        for system in ("none", "recent", "jaccard", "coderd"):
            cells = " | ".join(f"{r['recall'][system][b]:.2f}" for b in budgets)
            mrr = f"{r['mrr'][system]:.2f}" if system in r["mrr"] else "-"
            print(f"| {r['package']} ({r['files']}, {r['samples']}) | {system} | {cells} | {mrr} |")
    print()
    print("| package | kinds | coderd recall by kind (" + "/".join(map(str, budgets)) + ") | build ms p50 / p95 at " + "/".join(map(str, budgets)) + " |")
    print("|---|---|---|---|")
    for r in reports:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(r["kinds"].items()))
        by_kind = "; ".join(f"{k} " + "/".join(f"{v[b]:.2f}" for b in budgets) for k, v in sorted(r["recall_by_kind"].items()))
        lat = " · ".join(f"{r['latency_ms'][b]['p50']:.1f}/{r['latency_ms'][b]['p95']:.1f}" for b in budgets)
        print(f"| {r['package']} | {kinds} | {by_kind} | {lat} |")


if __name__ == "__main__":
    sys.exit(main())
