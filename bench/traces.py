"""Typing traces: a real source file, cursor positions, and the keys typed there.

A trace is made from a real file: at each segment's cursor the rest of the line is deleted,
then retyped one character at a time, with an inter-key gap recorded for every key. It is
stored as a small JSON file (bench/traces/*.json) that names the file and the workspace it
comes from; the replayers in `trace_replay.py` (coderd over LSP) and `infill_baseline.py`
(llama-server /infill) read the same trace.

    python -m bench.traces --stdlib email --file email/message.py \\
        --at 100:utils. --at 668:utils. --at 66:utils. --out bench/traces/email-message.json

Lines are 0-based (as in LSP); `--at LINE:MARKER` starts typing after the first MARKER on
that line. Columns are code points; `Document` converts them to UTF-16 for LSP.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sysconfig
from dataclasses import asdict, dataclass, field
from pathlib import Path

GAP_RANGE_MS = (60, 250)  # inter-key gaps of a fast typist, drawn uniformly
EXTRA_CHUNK_LINES = 32  # llama.vim picks ring_chunk_size/2 = 32-line chunks


@dataclass
class Segment:
    line: int  # 0-based
    character: int  # code points into the line, where typing starts
    typed: str  # the line's tail, retyped key by key
    gaps_ms: list[int] = field(default_factory=list)  # before each key; gaps_ms[0] is unused


@dataclass
class Trace:
    name: str
    file: str  # relative to the workspace root
    segments: list[Segment]
    source: dict = field(default_factory=dict)  # {"stdlib": "email"} or {"path": "dir"}
    sha256: str = ""
    language_id: str = "python"
    extra: list[dict] = field(default_factory=list)  # llama.vim input_extra: {filename, start, end}

    @property
    def keys(self) -> int:
        return sum(len(s.typed) for s in self.segments)

    def to_json(self) -> str:
        text = json.dumps(asdict(self), indent=1)
        # Lists of numbers (the gaps) on one line each: the file stays small and readable.
        return (
            re.sub(
                r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]",
                lambda m: "[" + ", ".join(re.findall(r"-?\d+", m.group(1))) + "]",
                text,
            )
            + "\n"
        )

    @classmethod
    def load(cls, path: Path) -> Trace:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        data["segments"] = [Segment(**s) for s in data["segments"]]
        return cls(**data)


def source_dir(trace: Trace, trace_path: Path | None = None) -> Path:
    """The folder the trace's workspace is copied from."""
    if "stdlib" in trace.source:
        return Path(sysconfig.get_paths()["stdlib"]) / trace.source["stdlib"]
    base = trace_path.parent if trace_path else Path.cwd()
    return (base / trace.source["path"]).resolve()


def materialise(trace: Trace, dest: Path, trace_path: Path | None = None) -> Path:
    """Copy the trace's source package into `dest` (a scratch workspace); return the file."""
    src = source_dir(trace, trace_path)
    target = dest / src.name if "stdlib" in trace.source else dest
    shutil.copytree(src, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    path = dest / trace.file
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if trace.sha256 and digest != trace.sha256:
        print(
            f"warning: {trace.file} differs from the recorded one (sha256 {digest[:12]} != "
            f"{trace.sha256[:12]}); positions are checked against the typed text"
        )
    return path


class Document:
    """The editor's buffer: lines, edits as LSP ranges (UTF-16), and the cursor."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.version = 1

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @staticmethod
    def utf16(line: str, col: int) -> int:
        return len(line[:col].encode("utf-16-le")) // 2

    def replace(self, line: int, start: int, end: int, new: str) -> tuple[tuple, tuple, str]:
        """Replace code points [start, end) of `line`; returns (LSP start, LSP end, new text)."""
        old = self.lines[line]
        rng = ((line, self.utf16(old, start)), (line, self.utf16(old, end)))
        self.lines[line] = old[:start] + new + old[end:]
        self.version += 1
        return rng[0], rng[1], new

    def cursor(self, line: int, col: int) -> tuple[int, int]:
        return line, self.utf16(self.lines[line], col)


def check_segments(trace: Trace, text: str) -> None:
    lines = text.split("\n")
    for s in trace.segments:
        if lines[s.line][s.character :] != s.typed:
            raise ValueError(
                f"{trace.file}:{s.line}: the line does not end with {s.typed!r}; "
                "regenerate the trace for this file"
            )


def make_trace(
    name: str,
    root: Path,
    file: str,
    at: list[tuple[int, str]],
    *,
    seed: int = 1,
    source: dict | None = None,
    extra_files: int = 4,
) -> Trace:
    """Segments at the given (line, marker) places; random gaps; llama.vim-style extra chunks."""
    rng = random.Random(seed)
    text = (root / file).read_text(encoding="utf-8")
    lines = text.split("\n")
    segments = []
    for line, marker in at:
        col = lines[line].index(marker) + len(marker)
        typed = lines[line][col:]
        segments.append(Segment(line, col, typed, [rng.randint(*GAP_RANGE_MS) for _ in typed]))
    others = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.py")
        if p.relative_to(root).as_posix() != file
    )
    extra = []
    for other in rng.sample(others, min(extra_files, len(others))):
        n = len((root / other).read_text(encoding="utf-8").split("\n"))
        start = rng.randint(0, max(0, n - EXTRA_CHUNK_LINES))
        extra.append({"filename": other, "start": start, "end": min(n, start + EXTRA_CHUNK_LINES)})
    return Trace(
        name=name,
        file=file,
        segments=segments,
        source=source or {},
        sha256=hashlib.sha256((root / file).read_bytes()).hexdigest(),
        extra=extra,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--stdlib", required=True, help="a standard-library package: the workspace")
    p.add_argument("--file", required=True, help="file inside the workspace, e.g. email/message.py")
    p.add_argument("--at", action="append", required=True, help="LINE:MARKER (0-based line)")
    p.add_argument("--name")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    root = Path(sysconfig.get_paths()["stdlib"])
    at = [(int(a.split(":", 1)[0]), a.split(":", 1)[1]) for a in args.at]
    pkg = root / args.stdlib
    rel = Path(args.file).relative_to(args.stdlib).as_posix()
    trace = make_trace(
        args.name or args.out.stem, pkg, rel, at, seed=args.seed, source={"stdlib": args.stdlib}
    )
    # Paths in the trace are relative to the workspace, which holds the package folder.
    trace.file = f"{args.stdlib}/{trace.file}"
    for chunk in trace.extra:
        chunk["filename"] = f"{args.stdlib}/{chunk['filename']}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(trace.to_json(), encoding="utf-8")
    print(f"{args.out}: {len(trace.segments)} segments, {trace.keys} keys")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
