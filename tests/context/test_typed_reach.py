"""typed.py and infer.py: the receivers a completion after `x.` most often meets without an
annotation of its own, typed on a real index of real files: a class of the current file that
is not the one around the cursor, a property's declared result, `Type.method()`, a local
holding another's attribute, and a field set from a constructor parameter's method."""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import write

from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.retrieve.infer import environment
from coderd.context.retrieve.scope import scope_of
from coderd.context.retrieve.typed import TypeResolver

MODELS = """class Lexer:
    def tokenize(self):
        pass


class Stream:
    def skip_if(self, test) -> bool:
        pass


class Environment:
    @property
    def lexer(self) -> Lexer:
        return Lexer()

    def _tokenize(self, source) -> "Stream":
        return Stream()


class Parser:
    def __init__(self, environment: "Environment", source):
        self.stream = environment._tokenize(source)


current_env: Environment = make_env()


class Table:
    @classmethod
    def grid(cls) -> "Table":
        return cls()

    def add_row(self):
        pass
"""
MAIN = """from models import Environment, Parser, Table, current_env


class Symbols:
    def find_ref(self, name):
        pass


class Frame:
    def __init__(self):
        self.symbols = Symbols()


class Generator:
    def __init__(self, environment: Environment, fallback: Environment | None = None):
        self.environment = environment
        self.fallback = fallback or current_env

    def visit(self, frame: Frame, parser: Parser):
        grid = Table.grid()
        lexer = self.environment.lexer
        @@
"""
GO = """package tree

type Node struct {
	parent *Node
}

func (n *Node) Walk() {}

func visit(c *Node) {
	p := c.parent
	@@
}
"""


def resolver_for(root: Path, files: dict[str, str], rel: str, language: str):
    for path, source in files.items():
        write(root, path, source.replace("@@", ""))
    index = WorkspaceIndex(root)
    index.rescan()
    text = files[rel].replace("@@", "")
    scope = scope_of(index, rel, index.file(rel), language)
    env = environment(index, rel, text, files[rel].index("@@"), language)
    return index, TypeResolver(index, rel, scope, env, language)


def where(refs) -> list[tuple[str, str]]:
    return [(r.path, r.definition.name) for r in refs]


def test_python_receivers_without_annotations_of_their_own(tmp_path: Path) -> None:
    index, resolver = resolver_for(
        tmp_path / "ws", {"models.py": MODELS, "main.py": MAIN}, "main.py", "python"
    )
    try:
        # A class of this file other than the one around the cursor: its own fields.
        assert where(resolver.value_types("frame.symbols")) == [("main.py", "Symbols")]
        # A property: its declared result (through a field copied from a parameter).
        assert where(resolver.value_types("self.environment.lexer")) == [("models.py", "Lexer")]
        # A local holding that attribute has its type.
        assert resolver.env.variables["lexer"].value == "self.environment.lexer"
        assert where(resolver.value_types("lexer")) == [("models.py", "Lexer")]
        # `Type.method()`: the classmethod's declared result.
        assert where(resolver.value_types("grid")) == [("models.py", "Table")]
        # A module-level variable declared with a type, imported; a field holding a
        # parameter or a default (`x or default`).
        assert where(resolver.value_types("current_env")) == [("models.py", "Environment")]
        assert where(resolver.value_types("self.fallback")) == [("models.py", "Environment")]
        # A field set from a constructor parameter's method, read in another file.
        assert where(resolver.value_types("parser.stream")) == [("models.py", "Stream")]
    finally:
        index.close()


def test_go_locals_holding_a_field_of_a_struct_in_the_same_file(tmp_path: Path) -> None:
    index, resolver = resolver_for(tmp_path / "ws", {"tree.go": GO}, "tree.go", "go")
    try:
        assert resolver.env.variables["p"].value == "c.parent"
        assert where(resolver.value_types("p")) == [("tree.go", "Node")]
    finally:
        index.close()


def test_a_class_of_this_file_holding_the_cursor_lends_no_fields(tmp_path: Path) -> None:
    # Its text there is the buffer being typed in (`extra: Tab` half-written): the context
    # must not follow it, so its fields are read only while the cursor is elsewhere.
    source = MAIN.replace("self.symbols = Symbols()", "self.symbols = @@Symbols()")
    source = source.replace("        @@\n", "        pass\n")
    for cursor_inside, expected in ((True, {}), (False, {"symbols"})):
        text = source if cursor_inside else MAIN
        root = tmp_path / ("in" if cursor_inside else "out")
        index, resolver = resolver_for(
            root, {"models.py": MODELS, "main.py": text}, "main.py", "python"
        )
        try:
            (frame,) = resolver.resolve_type("Frame", "main.py")
            assert set(resolver.fields(frame)) == set(expected)
        finally:
            index.close()


def test_names_bound_in_a_module_level_block_around_the_cursor(tmp_path: Path) -> None:
    script = (
        "from models import Table\n\n\n"
        'if __name__ == "__main__":\n'
        "    grid = Table.grid()\n"
        "    if grid:\n"
        "        @@\n"
    )
    files = {"models.py": MODELS, "main.py": script}
    index, resolver = resolver_for(tmp_path / "ws", files, "main.py", "python")
    try:
        assert where(resolver.value_types("grid")) == [("models.py", "Table")]
    finally:
        index.close()


def test_a_name_rebound_from_itself_keeps_its_type(tmp_path: Path) -> None:
    # `frame = frame.inner()`: the parameter's type stands, not a lookup of itself.
    source = MAIN.replace(
        "        lexer = self.environment.lexer\n", "        frame = frame.inner()\n"
    )
    index, resolver = resolver_for(
        tmp_path / "ws", {"models.py": MODELS, "main.py": source}, "main.py", "python"
    )
    try:
        assert where(resolver.value_types("frame")) == [("main.py", "Frame")]
    finally:
        index.close()


CAST_MODELS = """from typing import Protocol, cast


class Kernel(Protocol):
    def create_event(self) -> int: ...


kernel32 = cast(Kernel, ffi.dlopen("kernel32.dll"))
ntdll = cast("Kernel", ffi.dlopen("ntdll.dll"))
"""
CAST_MAIN = """import typing

from models import Kernel, kernel32, ntdll


class Waiter:
    def __init__(self, handle):
        self.kernel = typing.cast(Kernel, handle)

    def wait(self, other):
        local = typing.cast(Kernel, other)
        @@
"""


def test_a_value_cast_to_a_type_has_that_type(tmp_path: Path) -> None:
    """trio's `kernel32 = cast(_Kernel32, ffi.dlopen("kernel32.dll"))`, imported elsewhere:
    `kernel32.` is a _Kernel32, as a local or a field cast the same way is; `cast` is no
    callee whose result would be looked up."""
    files = {"models.py": CAST_MODELS, "main.py": CAST_MAIN}
    index, resolver = resolver_for(tmp_path / "ws", files, "main.py", "python")
    try:
        for value in ("kernel32", "ntdll", "local", "self.kernel"):
            assert where(resolver.value_types(value)) == [("models.py", "Kernel")], value
        assert resolver.env.variables["local"].call == ""
    finally:
        index.close()


ASSIGNED_MODELS = """class Flask:
    def route(self, rule):
        pass


def make_app() -> Flask:
    return Flask()


app = Flask(
    __name__,
)
made = make_app()
several = make_app().route("/")
"""
ASSIGNED_MAIN = """from models import app, made, several


def index():
    @@
"""


def test_an_imported_module_variable_is_what_it_is_assigned(tmp_path: Path) -> None:
    """`app = Flask(__name__)` (over two lines), imported by another file, is a Flask; so is
    what a function declared to return one gives; a chain of calls is not guessed."""
    files = {"models.py": ASSIGNED_MODELS, "main.py": ASSIGNED_MAIN}
    index, resolver = resolver_for(tmp_path / "ws", files, "main.py", "python")
    try:
        assert where(resolver.value_types("app")) == [("models.py", "Flask")]
        assert where(resolver.value_types("made")) == [("models.py", "Flask")]
        assert resolver.value_types("several") == []
    finally:
        index.close()


DEEP = """class NodeOrLeaf:
    def get_root_node(self):
        pass


class Leaf(NodeOrLeaf):
    pass


class PythonLeaf(Leaf):
    pass


class _LeafWithoutNewlines(PythonLeaf):
    pass


class Name(_LeafWithoutNewlines):
    def is_definition(self):
        pass
"""


def test_members_of_a_base_class_five_levels_up(tmp_path: Path) -> None:
    """parso's Name reaches NodeOrLeaf's get_root_node through four classes between."""
    files = {"tree.py": DEEP, "main.py": "from tree import Name\n\n\ndef f(n: Name):\n    @@\n"}
    index, resolver = resolver_for(tmp_path / "ws", files, "main.py", "python")
    try:
        [name] = resolver.value_types("n")
        assert {"is_definition", "get_root_node"} <= {
            m.definition.name for m in resolver.members(name)
        }
    finally:
        index.close()
