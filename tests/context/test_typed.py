"""typed.py: type names, call results and members resolved as the file that wrote them sees
them, on a real index of real files."""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import write

from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.retrieve.infer import environment
from coderd.context.retrieve.scope import scope_of
from coderd.context.retrieve.typed import TypeResolver

MODELS = """class Base:
    def save(self):
        pass


class Widget(Base):
    def __init__(self):
        self.store = Store()

    def draw(self):
        pass


class Store:
    def get(self):
        pass


def make_widget() -> Widget:
    return Widget()
"""
MAIN = """from models import Widget, make_widget
import models


def go():
    w = make_widget()
    v = models.Widget()
    @@
"""


def resolver_for(tmp_path: Path, extra: dict[str, str] | None = None):
    root = tmp_path / "ws"
    text = MAIN.replace("@@", "")
    for rel, source in {"models.py": MODELS, "main.py": text, **(extra or {})}.items():
        write(root, rel, source)
    index = WorkspaceIndex(root)
    index.rescan()
    symbols = index.file("main.py")
    offset = MAIN.index("@@")
    scope = scope_of(index, "main.py", symbols, "python")
    env = environment(index, "main.py", text, offset, "python")
    return index, TypeResolver(index, "main.py", scope, env, "python")


def where(refs) -> list[tuple[str, str]]:
    return [(r.path, r.definition.name) for r in refs]


def test_type_names_resolve_through_imports_module_aliases_and_the_index(tmp_path: Path) -> None:
    index, resolver = resolver_for(tmp_path)
    try:
        assert where(resolver.resolve_type("Widget", "main.py")) == [("models.py", "Widget")]
        assert where(resolver.resolve_type("models.Widget", "main.py")) == [("models.py", "Widget")]
        # Not imported, but defined once in the workspace.
        assert where(resolver.resolve_type("Store", "main.py")) == [("models.py", "Store")]
        assert resolver.resolve_type("Missing", "main.py") == []
    finally:
        index.close()


def test_a_name_defined_in_too_many_places_resolves_to_nothing(tmp_path: Path) -> None:
    extra = {f"other{i}.py": "class Store:\n    pass\n" for i in range(2)}
    index, resolver = resolver_for(tmp_path, extra)
    try:
        assert resolver.resolve_type("Store", "main.py") == []  # three homonyms
    finally:
        index.close()


def test_values_get_their_types_from_calls_constructors_and_fields(tmp_path: Path) -> None:
    index, resolver = resolver_for(tmp_path)
    try:
        assert set(resolver.env.variables) == {"w", "v"}
        # A function's declared result type, and a class called through a module alias.
        assert where(resolver.value_types("w")) == [("models.py", "Widget")]
        assert where(resolver.value_types("v")) == [("models.py", "Widget")]
        # A field assigned in the constructor of a class in another file.
        assert where(resolver.value_types("w.store")) == [("models.py", "Store")]
        assert resolver.value_types("unknown") == []
    finally:
        index.close()


def test_members_of_a_type_include_its_bases(tmp_path: Path) -> None:
    index, resolver = resolver_for(tmp_path)
    try:
        (widget,) = resolver.resolve_type("Widget", "main.py")
        assert [r.definition.name for r in resolver.members(widget)] == [
            "__init__",
            "draw",
            "save",  # from Base, after the type's own
        ]
        assert where(resolver.members_named([widget], "save")) == [("models.py", "save")]
    finally:
        index.close()
