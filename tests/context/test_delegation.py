"""A wrapper hands its work to a member named like itself (retrieve/expected.py
`enclosing_function`, `delegates`): the receiver hint lists that member first."""

from __future__ import annotations

from pathlib import Path

import pytest
from ctx_helpers import hint_after

from coderd.context.retrieve.enclosing import delegates, enclosing_function


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "impl X {\n    pub fn find_edge(\n        &self,\n    ) -> u8 {\n        self.g.",
            "find_edge",
        ),
        ("class A:\n    async def get(self, key):\n        if key:\n            return d.", "get"),
        ("func (s *Store) Get(k string) string {\n\treturn s.inner.", "Get"),
        ("class A {\n  public async fetchAll(a: number): Promise<void> {\n    this.c.", "fetchAll"),
        ("export function load(path) {\n  if (path) {\n    return fs.", "load"),
        ("def outer():\n    pass\n\nx = y.", ""),  # the top level: no function
        ("fn f() {\n    g();\n}\nfn main() {\n    h.", "main"),
        ("pub(in crate::a) unsafe fn q() {\n    h.", "q"),
        # Prose is no function line: kombu's docstring "Ensures function performing broker
        # commands" made `performing` the function.
        (
            'def ensure(pool):\n    """\n    Ensures function performing x.\n    """\n'
            "    with pool as c:\n        c.",
            "ensure",
        ),
        ("function run() {\n  // the function below does\n  c.", "run"),
    ],
)
def test_the_function_the_cursor_is_in(text: str, name: str) -> None:
    assert enclosing_function(text, len(text))[0] == name


def test_a_go_method_s_own_receiver() -> None:
    text = "func (l *intLogger) setColorization(opts *Options) {\n\tfi := l."
    assert enclosing_function(text, len(text)) == ("setColorization", "l")


def test_how_surely_a_member_is_the_delegate() -> None:
    assert delegates("get", "get") == 2
    assert delegates("find_edge_undirected_from_node", "find_edge_undirected") == 1
    assert delegates("findEdgeFrom", "findEdge") == 1
    assert delegates("get_mut", "get") == 1
    # All its words (two or more) are the function's: rq's `handle_job_failure` calls
    # `job._handle_failure(...)`.
    assert delegates("_handle_failure", "handle_job_failure") == 1
    assert delegates("find_edge", "find_edge_undirected") == 1
    assert delegates("find_node", "find_edge_undirected") == 0  # a word the function lacks
    assert delegates("edge", "find_edge_undirected") == 0  # one word says little
    assert delegates("anything", "") == 0
    assert delegates("get", "get", own=True) == 0  # `self.get(` inside `get`: recursion
    assert delegates("get_all", "get", own=True) == 1


def test_python_a_wrapper_s_delegate_comes_first(tmp_path: Path) -> None:
    """The store's `get` is one of many members, the least popular: inside `def get` it is
    the first line of the hint."""
    store = "class Store:\n"
    for name in ("put", "keys", "values", "items", "clear", "flush", "close", "get"):
        store += f"    def {name}(self, key=None):\n        pass\n\n"
    users = "from pkg.store import Store\n\n"
    users += "".join(f"def use{i}(s: Store):\n    s.put(1)\n    s.keys()\n" for i in range(3))
    cache = "from pkg.store import Store\n\n\nclass Cache:\n    def __init__(self):\n"
    cache += "        self.store = Store()\n\n    def get(self, key):\n        return self.store.\n"
    files = {"pkg/store.py": store, "pkg/users.py": users, "pkg/cache.py": cache}
    hint = hint_after(tmp_path / "ws", files, "pkg/cache.py", "self.store.")
    members = [line.strip("# ") for line in hint.text.splitlines()[1:]]
    assert members[0] == "def get(self, key=None):"


def test_go_a_method_is_not_its_own_delegate(tmp_path: Path) -> None:
    """hclog: `setColorization` is also a method of intLogger (another platform's file):
    inside it, `l.` lists it no higher than before."""
    logger = "package hclog\n\ntype intLogger struct{}\n\n"
    for name in ("With", "Named", "checkWriterIsFile", "setColorization"):
        logger += f"func (l *intLogger) {name}() {{\n}}\n\n"
    other = "package hclog\n\nfunc use(l *intLogger) {\n\tl.With()\n\tl.Named()\n}\n"
    colorize = "package hclog\n\nfunc (l *intLogger) setColorization(opts int) {\n"
    colorize += "\tx := 1\n" * 6 + "\tfi := l.\n}\n"  # the function's line: not near words
    files = {"go.mod": "module x\n", "logger.go": logger, "use.go": other, "color.go": colorize}
    hint = hint_after(tmp_path / "ws", files, "color.go", "fi := l.")
    members = [line.strip("/ \t") for line in hint.text.splitlines()[1:]]
    assert not members[0].startswith("func (l *intLogger) setColorization"), members


def test_on_a_guessed_receiver_the_delegate_comes_before_what_others_call(tmp_path: Path) -> None:
    """`event.current_buffer.` has no type: the calls other files make on `current_buffer`
    guess Buffer and rank its members, yet inside `_delete_before_cursor` the member named
    like the function comes first (prompt_toolkit's vi bindings)."""
    buffer = "class Buffer:\n" + "".join(
        f"    def {name}(self):\n        pass\n\n"
        for name in ("insert_text", "cursor_up", "delete_before_cursor")
    )
    caller = "def f(event):\n    event.current_buffer.insert_text()\n    event.current_buffer.cursor_up()\n"
    vi = "def _delete_before_cursor(event):\n    event.current_buffer.delete_before_cursor()\n"
    files = {"pkg/buffer.py": buffer, "pkg/a.py": caller, "pkg/b.py": caller, "pkg/vi.py": vi}
    hint = hint_after(tmp_path, files, "pkg/vi.py", "event.current_buffer.")
    assert hint.guessed
    assert [chunk["name"] for chunk in hint.chunks][0] == "delete_before_cursor"
