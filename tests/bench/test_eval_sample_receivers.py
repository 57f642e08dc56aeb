"""A `method` sample must name a project definition that `obj.name` resolves to (#13): when
the file's own code says the receiver is from outside the package (an annotation, a type path,
an assignment from another library's call), the package's only method of that name is not
what the line calls, and no context could show what it does call."""

from __future__ import annotations

import random
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:  # context_eval's modules import each other by plain name
    sys.path.insert(0, str(BENCH))

from eval_samples import build_samples  # noqa: E402

from coderd.context.index.workspace import WorkspaceIndex  # noqa: E402

STORE = "class Store:\n    def fetch_rows(self, n):\n        return n\n"
PREAMBLE = "from collections import OrderedDict\n\nfrom .store import Store\n\n\n"
USES = {
    # The project's Store: a sample.
    "ours.py": "def run(b: Store):\n    x = 1\n    y = 2\n    return b.fetch_rows(x)\n",
    "made.py": "def run():\n    b = Store()\n    y = 2\n    return b.fetch_rows(y)\n",
    # Another library's type, by annotation, by assignment, as a path: none.
    "annotated.py": "def run(a: OrderedDict):\n    x = 1\n    y = 2\n    return a.fetch_rows(x)\n",
    "assigned.py": "def run():\n    a = OrderedDict()\n    y = 2\n    return a.fetch_rows(y)\n",
    "path.py": "def run():\n    x = 1\n    y = 2\n    return OrderedDict.fetch_rows(y)\n",
    "field.py": (
        "class Job:\n    def __init__(self):\n        self.a = OrderedDict()\n\n"
        "    def run(self):\n        return self.a.fetch_rows(1)\n"
    ),
    # Nothing written says what `a` is: the sample stays.
    "unknown.py": "def run(a):\n    x = 1\n    y = 2\n    return a.fetch_rows(x)\n",
    # A docstring that reads like an annotation is not one.
    "documented.py": (
        'def run(a):\n    """:param a: The rows."""\n    y = 2\n    return a.fetch_rows(y)\n'
    ),
}


def test_a_method_sample_needs_a_receiver_that_may_be_the_projects(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "store.py").write_text(STORE)
    for name, body in USES.items():
        (tmp_path / "pkg" / name).write_text(PREAMBLE + body)
    index = WorkspaceIndex(tmp_path)
    index.rescan()
    samples = build_samples(index, 40, random.Random(1), "first")
    index.close()
    files = {s["path"].rsplit("/", 1)[1] for s in samples if s["gold_name"] == "fetch_rows"}
    assert files == {"ours.py", "made.py", "unknown.py", "documented.py"}
