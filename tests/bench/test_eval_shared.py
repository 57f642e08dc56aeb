"""bench/eval_shared.py: hits moved on the samples two runs share, the others left aside."""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:  # the evaluation's modules import each other by plain name
    sys.path.insert(0, str(BENCH))

from eval_shared import compare, load  # noqa: E402


def outcome(path: str, row: int, kind: str, hits: tuple[bool, bool, bool], hint=False) -> dict:
    found = dict(zip(("256", "512", "1024"), hits, strict=True))
    return {"path": path, "row": row, "kind": kind, **found, "hint1024": hint}


def test_only_shared_samples_count_and_a_hint_hit_is_a_hit(tmp_path: Path) -> None:
    new = {
        "pkg": [
            outcome("a.rs", 3, "method", (False, True, True)),
            outcome("b.rs", 9, "method", (False, False, False), hint=True),
            outcome("c.rs", 1, "method", (True, True, True)),  # new: not counted
        ]
    }
    old = {
        "pkg": [
            outcome("a.rs", 3, "method", (False, False, True)),
            outcome("b.rs", 9, "method", (False, False, False)),
            outcome("d.rs", 5, "method", (False, False, False)),  # gone: not counted
        ]
    }
    (tmp_path / "new.out.json").write_text(json.dumps(new))
    (tmp_path / "old.out.json").write_text(json.dumps(old))
    totals, lines = compare(load([tmp_path / "new.out.json"]), load([tmp_path / "old.out.json"]))
    assert totals == {"method": [0, 1, 1, 2]}
    assert lines == ["pkg method: +0/+1/+1", "pkg: 1 samples new, 1 gone"]
