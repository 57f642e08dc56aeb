"""Baselines and scoring for the context evaluation.

* `Windows`: RepoCoder-style retrieval: 20-line windows with stride 10 over every other file of
  the package, ranked by Jaccard similarity of identifier sets with the 20 lines above the
  cursor's line, packed best first. Restricted to a few files, it is the `recent` baseline (a
  ring of recently viewed files).
* `covered`: whether a packed context holds the gold definition's header line.
* `rank_of`: the gold's 1-based rank among ranked candidates (0 when absent), for MRR.
"""

from __future__ import annotations

import re

from coderd.context.index.extract import Definition
from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex
from coderd.context.pack.block import comment_for, pack
from coderd.context.retrieve.candidates import Candidate
from coderd.context.retrieve.recent import jaccard

WINDOW, STRIDE, QUERY_LINES = 20, 10, 20
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Windows:
    """RepoCoder-style sliding windows over every file of the package."""

    def __init__(self, index: WorkspaceIndex) -> None:
        self.windows: list[tuple[str, int, int, frozenset[str]]] = []
        self.texts: dict[str, str] = {}
        for path in sorted(index.snapshot()):
            text = (index.root / path).read_text("utf-8", "replace")
            self.texts[path] = text
            lines = text.split("\n")
            tokens = [_IDENT.findall(line) for line in lines]
            for start in range(0, max(1, len(lines) - WINDOW + STRIDE), STRIDE):
                words = frozenset(w for row in tokens[start : start + WINDOW] for w in row)
                if words:
                    self.windows.append((path, start + 1, min(len(lines), start + WINDOW), words))

    def ranked(self, sample: dict, only: set[str] | None = None) -> list[DefinitionRef]:
        text, offset = sample["text"], sample["offset"]
        lines = text[: text.rfind("\n", 0, offset) + 1].split("\n")[-QUERY_LINES - 1 :]
        query = frozenset(_IDENT.findall("\n".join(lines)))
        scored = [
            (jaccard(query, w), p, s, e)
            for p, s, e, w in self.windows
            if p != sample["path"] and (only is None or p in only)
        ]
        scored = [x for x in scored if x[0] > 0]
        scored.sort(key=lambda x: (-x[0], x[1], x[2]))
        return [
            DefinitionRef(p, Definition(f"{p}:{s}", "window", "", "", s, e))
            for _, p, s, e in scored[:200]
        ]

    def pack(self, refs: list[DefinitionRef], sample: dict, tokenize, budget: int):
        return pack(
            [Candidate(r, "jaccard") for r in refs],
            current_path=sample["path"],
            read=self.texts.get,
            members_of=lambda f, c: [],
            tokenize=tokenize,
            budget=budget,
        )


def sections(text: str) -> dict[str, str]:
    """The packed text of each file, keyed by path (the `# path` / `// path` header lines)."""
    found: dict[str, list[str]] = {}
    current = None
    for line in text.split("\n"):
        head = line.split(" ", 1)
        if (
            len(head) == 2
            and head[0] in ("#", "//")
            and head[1]
            and " " not in head[1]
            and "." in head[1]
            and comment_for(head[1]) == head[0]
        ):
            current = found.setdefault(head[1], [])
            continue
        if current is not None:
            current.append(line)
    return {path: "\n".join(lines) for path, lines in found.items()}


def covered(chunks: list[dict], text: str, sample: dict) -> bool:
    """A chunk of the gold's file spans the gold's header line, or lists a member that does (a
    Rust type's methods sit in `impl` blocks below it, a Go type's anywhere in the file), and
    that line is in the text packed for that file."""
    line = sample["gold_line"]
    if not any(
        c["path"] == sample["gold_path"]
        and any(a <= line <= b for a, b in (c["lines"], *c.get("members", ())))
        for c in chunks
    ):
        return False
    return sample["gold_text"] in sections(text).get(sample["gold_path"], "")


def hint_covers(hint, sample: dict) -> bool:
    """The receiver hint (context/pack/hint.py) shows the gold: a member chunk of its file spans
    its header line, and that line's text is in the hint."""
    return (
        any(
            c["path"] == sample["gold_path"]
            and c["lines"][0] <= sample["gold_line"] <= c["lines"][1]
            for c in hint.chunks
        )
        and sample["gold_text"] in hint.text
    )


def rank_of(refs: list[DefinitionRef], sample: dict) -> int:
    for i, ref in enumerate(refs, 1):
        d = ref.definition
        if ref.path != sample["gold_path"] or not d.start_line <= sample["gold_line"] <= d.end_line:
            continue
        if d.kind == "skeleton" and sample["gold_name"] not in d.signature.split(","):
            continue  # a signature list that does not show the gold
        return i
    return 0
