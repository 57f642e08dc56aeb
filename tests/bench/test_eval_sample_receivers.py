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
    # A call on another library's value returns another library's value (`r.Context().Value`).
    "chained.py": (
        "def run(a: OrderedDict):\n    x = 1\n    y = 2\n    return a.copy(x).fetch_rows(y)\n"
    ),
    "chained_ours.py": "def run(b: Store):\n    x = 1\n    return b.copy(x).fetch_rows(x)\n",
    # Called through a name or a module imported from another package: none.
    "imported_name.py": (
        "from json import decoder\n\n\ndef run():\n    x = 1\n    return decoder.fetch_rows(x)\n"
    ),
    "imported_chain.py": (
        "import json\n\n\ndef run():\n    x = 1\n    return json.loads(x).fetch_rows(x)\n"
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
    assert files == {"ours.py", "made.py", "unknown.py", "documented.py", "chained_ours.py"}


RUST_BUF = """pub struct BytesMut {
    len: usize,
}

impl BytesMut {
    pub fn reserve_more(&mut self, n: usize) {
        self.len += n;
    }
}

pub trait BufMut {
    fn grow(&mut self);
}
"""
RUST_IMPLS = """use crate::buf::{BufMut, BytesMut};

unsafe impl BufMut for Vec<u8> {
    fn grow(&mut self) {
        let x = 1;
        if x > 0 {
            self.reserve_more(64);
        }
    }
}

impl BufMut for BytesMut {
    fn grow(&mut self) {
        let y = 2;
        self.reserve_more(y);
    }
}
"""


def samples_of(root: Path, files: dict[str, str], mask: str = "first") -> list[dict]:
    """The evaluation's samples over `files` written under `root`."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    index = WorkspaceIndex(root)
    index.rescan()
    try:
        return build_samples(index, 40, random.Random(1), mask)
    finally:
        index.close()


def test_self_in_an_impl_for_another_crates_type_is_not_the_projects(tmp_path):
    """bytes' `unsafe impl BufMut for Vec<u8>` calls Vec's `self.reserve(64)`, not BytesMut's
    method of that name; in `impl BufMut for BytesMut` it is BytesMut's."""
    files = {"Cargo.toml": "", "src/buf.rs": RUST_BUF, "src/impls.rs": RUST_IMPLS}
    samples = samples_of(tmp_path, files, "line")
    rows = [s["row"] for s in samples if s["gold_name"] == "reserve_more"]
    assert rows == [RUST_IMPLS.split("\n").index("        self.reserve_more(y);")]


def test_a_dom_method_name_makes_no_typescript_method_sample(tmp_path):
    """`tr.doc.resolve(pos)` is ProseMirror's (a DOM and ES name too), not the package's only
    `resolve`; a name of its own stays a sample."""
    manager = (
        "export class Manager {\n  resolve(x: number) {\n    return x\n  }\n\n"
        "  commandsFor(x: number) {\n    return x\n  }\n}\n"
    )
    use = (
        "export function run(tr, m) {\n  const a = 1\n  const b = 2\n"
        "  const c = tr.doc.resolve(a)\n  return m.commandsFor(b)\n}\n"
    )
    samples = samples_of(tmp_path, {"src/manager.ts": manager, "src/use.ts": use})
    assert {s["gold_name"] for s in samples if s["kind"] == "method"} == {"commandsFor"}


def test_a_name_imported_under_another_name_is_the_original(tmp_path):
    """packaging's `from ._parser import parse_requirement as _parse_requirement`: the gold
    is parse_requirement, not _parser.py's own private `_parse_requirement`."""
    parser = (
        "def parse_requirement(source):\n    return _parse_requirement(source)\n\n\n"
        "def _parse_requirement(tokens):\n    return tokens\n"
    )
    requirements = (
        "from ._parser import parse_requirement as _parse_requirement\n\n\n"
        "def read(text):\n    x = 1\n    y = 2\n    return _parse_requirement(text)\n"
    )
    samples = samples_of(tmp_path, {"pkg/_parser.py": parser, "pkg/requirements.py": requirements})
    golds = [(s["gold_name"], s["gold_line"]) for s in samples if s["path"].endswith("ments.py")]
    assert golds == [("parse_requirement", 1)]


def test_a_name_its_module_assigns_is_not_a_homonym_elsewhere(tmp_path):
    """pygments' lexers `from pygments.token import Comment`: token.py assigns `Comment =
    Token.Comment`, a variable (no gold); robotframework.py's class Comment is not it."""
    token = "class _TokenType:\n    pass\n\n\nToken = _TokenType()\nComment = Token\n"
    robot = "class Comment:\n    def split(self, row):\n        return row\n"
    lexer = (
        "from pkg.token import Comment\n\n\n"
        "def tokens():\n    x = 1\n    y = 2\n    return Comment\n"
    )
    files = {"pkg/token.py": token, "pkg/robot.py": robot, "pkg/lexer.py": lexer}
    samples = samples_of(tmp_path, files)
    assert [s["gold_name"] for s in samples if s["path"] == "pkg/lexer.py"] == []
    files["pkg/token.py"] = "class _TokenType:\n    pass\n"  # now it is the one Comment there is
    files["pkg/lexer.py"] = lexer.replace("pkg.token", "pkg.robot")
    samples = samples_of(tmp_path / "b", files)
    assert [s["gold_name"] for s in samples if s["path"] == "pkg/lexer.py"] == ["Comment"]


def test_a_go_field_of_the_same_name_is_no_method_sample(tmp_path):
    """echo's `req.Header.Get(...)` reads net/http's `Request.Header` field, not echo's
    `Response.Header()`; a call, and a method value passed on, stay samples."""
    response = (
        "package echo\n\ntype Response struct{}\n\n"
        "func (r *Response) Header() int { return 0 }\n\n"
        "func (r *Response) Flush() {}\n\n"
        "func (r *Response) Committed() bool { return false }\n"
    )
    use = (
        "package echo\n\nfunc run(req, res, h) {\n\tx := 1\n\ty := 2\n"
        "\tz := req.Header.Get(x)\n\tres.Flush()\n\th(res.Committed)\n}\n"
    )
    samples = samples_of(tmp_path, {"go.mod": "", "response.go": response, "use.go": use}, "line")
    assert {s["gold_name"] for s in samples if s["kind"] == "method"} == {"Flush", "Committed"}


def test_a_rust_field_of_the_same_name_is_no_method_sample(tmp_path):
    """Rust names a method only to call it: `job.capacity` is a field, `job.grow::<u8>(1)` and
    `job.shrink(1)` are calls."""
    buf = (
        "pub struct Buf {}\n\nimpl Buf {\n    pub fn capacity(&self) -> usize { 0 }\n"
        "    pub fn grow<T>(&self, n: usize) {}\n    pub fn shrink(&self, n: usize) {}\n}\n"
    )
    use = (
        "use crate::buf::Buf;\n\nfn run<T>(job: T, b: Buf) {\n    let x = 1;\n    let y = 2;\n"
        "    let z = job.capacity + x;\n    b.grow::<u8>(y);\n    b.shrink(z);\n}\n"
    )
    files = {"Cargo.toml": "", "src/buf.rs": buf, "src/use.rs": use}
    samples = samples_of(tmp_path, files, "line")
    assert {s["gold_name"] for s in samples if s["kind"] == "method"} == {"grow", "shrink"}
