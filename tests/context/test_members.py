"""members.py: signature lists of what the code at the cursor can reach (types, module
aliases, imported values, the rest of a Go package), on a real index of real files."""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import write

from coderd.context.index.extract import Definition
from coderd.context.index.readers import DefinitionRef
from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.pack.shapes import rank_members
from coderd.context.retrieve.imported import value_members
from coderd.context.retrieve.infer import environment
from coderd.context.retrieve.members import module_candidates, typed_candidates
from coderd.context.retrieve.packages import package_candidates
from coderd.context.retrieve.scope import scope_of
from coderd.context.retrieve.skeletons import near_words, ranked_members, skeletons
from coderd.context.retrieve.typed import TypeResolver
from coderd.context.retrieve.usage import usage_of

MODELS = """class Base:
    def save(self):
        pass


class Widget(Base):
    def __init__(self):
        pass

    def draw(self):
        pass

    def erase(self):
        pass
"""
UTIL = "def helper(x):\n    return x\n\n\ndef other(x):\n    return x\n\n\nLIMIT = 3\ncache = {}\n"
TIMERS = (
    "export const provider = {\n  setTimeout(fn: () => void) {\n    return 1;\n  },\n"
    "  clear() {\n    return 2;\n  },\n};\n"
)
SHAPES = (
    "package shapes\n\nconst (\n\tRed = 1\n\tGreen = 2\n)\n\nfunc Paint() {}\n\n"
    "func Erase() {}\n\nfunc Fill() {}\n"
)


class Added:
    """The `add` callback retrieve() passes: records (path, name, source, score, shown)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, float, tuple[str, ...] | None]] = []

    def __call__(self, ref: DefinitionRef, source: str, score: float, members=None) -> None:
        shown = tuple(m.name for m in members) if members is not None else None
        self.calls.append((ref.path, ref.definition.name, source, score, shown))

    def named(self, name: str) -> list[tuple]:
        return [c for c in self.calls if c[1] == name]


def workspace(tmp_path: Path, files: dict[str, str]) -> WorkspaceIndex:
    for rel, text in files.items():
        write(tmp_path / "ws", rel, text)
    index = WorkspaceIndex(tmp_path / "ws")
    index.rescan()
    return index


def cursor(text: str) -> tuple[str, int]:
    return text.replace("@@", ""), text.index("@@")


def typed_lists(tmp_path: Path, source: str) -> Added:
    text, offset = cursor(source)
    index = workspace(tmp_path, {"models.py": MODELS, "main.py": text})
    try:
        scope = scope_of(index, "main.py", index.file("main.py"), "python")
        env = environment(index, "main.py", text, offset, "python")
        resolver = TypeResolver(index, "main.py", scope, env, "python")
        usage, added = usage_of(text, offset), Added()
        typed = typed_candidates(resolver, usage, text.count("\n", 0, offset), added, 1e9)
        assert "w" in typed
        return added
    finally:
        index.close()


def test_members_used_only_above_the_cursor_come_after_the_unused_ones(tmp_path: Path) -> None:
    # `w.erase()` above: the prompt's prefix shows it already; the list is for what it does not.
    added = typed_lists(
        tmp_path,
        "from models import Widget\n\n\ndef go():\n    w = Widget()\n    w.erase()\n    @@\n",
    )
    ((_, _, _, _, shown),) = added.named("Widget")
    assert shown == ("draw", "erase", "__init__")


def test_a_typed_name_brings_its_type_with_the_members_used_first(tmp_path: Path) -> None:
    added = typed_lists(
        tmp_path,
        "from models import Widget\n\n\ndef go():\n    w = Widget()\n    @@\n    w.erase()\n",
    )
    ((path, _, source, _, shown),) = added.named("Widget")
    # The member used below (`erase`) first, then public before dunder, in file order.
    assert (path, source, shown) == ("models.py", "type", ("erase", "draw", "__init__"))
    # The base class's members come as a signature list of their own, scored after.
    ((_, _, source, base_score, shown),) = added.named("Base")
    assert (source, shown) == ("type", ("save",))
    assert base_score > added.named("Widget")[0][3]


def test_a_module_alias_brings_its_top_level_definitions(tmp_path: Path) -> None:
    text, offset = cursor("import util\n\n\ndef go():\n    util.other(1)\n    @@\n")
    index = workspace(tmp_path, {"util.py": UTIL, "main.py": text})
    try:
        scope = scope_of(index, "main.py", index.file("main.py"), "python")
        assert scope.modules == {"util": ["util.py"]}
        added = Added()
        module_candidates(index, "main.py", scope, usage_of(text, offset), added, 1e9)
        ((path, _, source, _, shown),) = added.calls
        # No variables (`cache`), and not `other`: the file uses it (`util.other`), so it is a
        # candidate of its own (candidates.py), not listed twice.
        assert (path, source, shown) == ("util.py", "module", ("helper", "LIMIT"))
        # Past its deadline, a source adds nothing.
        late = Added()
        module_candidates(index, "main.py", scope, usage_of(text, offset), late, 0.0)
        assert late.calls == []
    finally:
        index.close()


def test_a_module_s_names_next_to_used_ones_lead_its_list(tmp_path: Path) -> None:
    # jinja2's parser uses `nodes.Slice` and `nodes.Compare`: `nodes.Concat`, declared between
    # them, leads the list of the names it does not use yet, whatever their popularity.
    nodes = "".join(
        f"class {name}:\n    pass\n\n\n"
        for name in ("Popular", "Lonely", "Far", "Slice", "Concat", "Compare")
    )
    text, offset = cursor(
        "from . import nodes\n\n\ndef go():\n    nodes.Slice()\n    nodes.Compare()\n    @@\n"
    )
    other = "from .nodes import Popular\n\nPopular()\n"
    index = workspace(tmp_path, {"pkg/nodes.py": nodes, "pkg/main.py": text, "pkg/other.py": other})
    try:
        scope = scope_of(index, "pkg/main.py", index.file("pkg/main.py"), "python")
        added = Added()
        module_candidates(index, "pkg/main.py", scope, usage_of(text, offset), added, 1e9)
        ((_, _, _, _, shown),) = added.calls
        assert shown == ("Far", "Concat", "Popular", "Lonely")  # then by popularity
    finally:
        index.close()


def test_an_imported_value_is_shown_with_the_definitions_it_holds(tmp_path: Path) -> None:
    text, offset = cursor("import { provider } from './timers';\n\n@@\nprovider.clear();\n")
    index = workspace(tmp_path, {"timers.ts": TIMERS, "main.ts": text})
    try:
        scope = scope_of(index, "main.ts", index.file("main.ts"), "typescript")
        added = Added()
        value_members(index, "main.ts", scope, usage_of(text, offset), added)
        ((path, name, source, _, shown),) = added.calls
        assert (path, name, source, shown) == (
            "timers.ts",
            "provider",
            "import",
            ("clear", "setTimeout"),
        )
    finally:
        index.close()


def test_a_go_package_brings_siblings_and_its_popular_names(tmp_path: Path) -> None:
    text, offset = cursor("package shapes\n\nfunc use() {\n\tPaint()\n\t@@\n}\n")
    other = "package shapes\n\nfunc more() {\n\tFill()\n\tFill()\n}\n"
    index = workspace(tmp_path, {"shapes/c.go": SHAPES, "shapes/m.go": text, "shapes/o.go": other})
    try:
        scope = scope_of(index, "shapes/m.go", index.file("shapes/m.go"), "go")
        assert {f for f, source in scope.open_files if source == "package"} == {
            "shapes/c.go",
            "shapes/o.go",
        }
        added = Added()
        package_candidates(index, "shapes/m.go", scope, usage_of(text, offset), added)
        # The names not used yet, most used in the workspace first (Fill: o.go uses it).
        lists = [c for c in added.calls if c[4] is not None]
        assert lists and lists[0][4][0] == "Fill" and "Paint" not in lists[0][4]
        # `Paint` is used: the definition declared right after it comes along, once, as a
        # candidate of its own ("sibling"), never left to wait in the list of popular names
        # for it to grow that far (chi's `mPUT` next to `mPOST`, missing at 256 tokens).
        assert [c[2] for c in added.named("Erase")] == ["sibling"]
        assert all("Erase" not in (c[4] or ()) for c in added.calls)
    finally:
        index.close()


def test_a_go_package_lists_first_the_names_files_like_this_one_use(tmp_path: Path) -> None:
    """Of the names the file does not use yet, those that the package's files most like this
    one use come first (gorilla/websocket's conn files call the same helpers), before names
    more files use."""
    shapes = "package shapes\n\nfunc Fill() {}\n\nfunc Stroke() {}\n\nfunc Clip() {}\n"
    text, offset = cursor(
        "package shapes\n\nfunc draw(canvas, brush, layer) {\n\tcanvas.Begin(brush)\n"
        "\tlayer.Push(canvas)\n\t@@\n}\n"
    )
    alike = "package shapes\n\nfunc redraw(canvas, brush, layer) {\n\tStroke(canvas, brush)\n}\n"
    files = {"shapes/c.go": shapes, "shapes/m.go": text, "shapes/s.go": alike}
    for i in range(3):  # more files use Fill, and share nothing else with m.go
        files[f"shapes/o{i}.go"] = f"package shapes\n\nfunc other{i}(x) {{\n\tFill(x)\n}}\n"
    index = workspace(tmp_path, files)
    try:
        scope = scope_of(index, "shapes/m.go", index.file("shapes/m.go"), "go")
        added = Added()
        package_candidates(index, "shapes/m.go", scope, usage_of(text, offset), added)
        (shown,) = [c[4] for c in added.calls if c[0] == "shapes/c.go" and c[4]]
        assert shown == ("Stroke", "Fill", "Clip")  # then by popularity: Clip nobody uses
    finally:
        index.close()


def test_a_go_package_lists_first_the_names_the_lines_around_the_cursor_share_words_with(
    tmp_path: Path,
) -> None:
    """memberlist's config.go declares `Ping PingDelegate` among fields named after the
    delegates they hold: a name sharing words with the lines around the cursor (`ping`,
    `delegate`) comes before names more files use (memberlist package names +11 of 40 at
    1,024 tokens)."""
    shapes = (
        "package shapes\n\nfunc Fill() {}\n\nfunc Stroke() {}\n\ntype PingDelegate interface{}\n"
    )
    text, offset = cursor(
        "package shapes\n\ntype Config struct {\n\tPingInterval int\n\tPing @@\n"
        "\tEvents EventDelegate\n}\n"
    )
    files = {"shapes/c.go": shapes, "shapes/m.go": text}
    for i in range(3):  # more files use Fill and Stroke
        files[f"shapes/o{i}.go"] = (
            f"package shapes\n\nfunc other{i}(x) {{\n\tFill(x)\n\tStroke(x)\n}}\n"
        )
    index = workspace(tmp_path, files)
    try:
        scope = scope_of(index, "shapes/m.go", index.file("shapes/m.go"), "go")
        added = Added()
        near = near_words(text, offset)
        package_candidates(index, "shapes/m.go", scope, usage_of(text, offset), added, "go", near)
        (shown,) = [c[4] for c in added.calls if c[0] == "shapes/c.go" and c[4]]
        assert shown[0] == "PingDelegate"
    finally:
        index.close()


def test_skeletons_group_members_by_file_and_owner(tmp_path: Path) -> None:
    text = "package shapes\n\ntype Box struct {\n\tw int\n}\n"
    methods = "package shapes\n\nfunc (b *Box) Area() int { return 0 }\n\nfunc (b *Box) grow() {}\n"
    index = workspace(tmp_path, {"shapes/box.go": text, "shapes/box_area.go": methods})
    try:
        (box,) = [r for r in index.lookup("Box") if r.definition.kind == "struct"]
        members = index.members("Box")
        found = skeletons([box], members, {"grow": 1}, {}, current="other.go")
        # Methods in another file than the type: a signature list of that file, "spread";
        # the used one first. The type itself still shows (its fields), with no members.
        spread = [
            (ref.path, ref.definition.kind, [d.name for d in shown], kind)
            for ref, shown, kind in found
        ]
        assert spread == [
            ("shapes/box_area.go", "skeleton", ["grow", "Area"], "spread"),
            ("shapes/box.go", "struct", [], "own"),
        ]
        assert skeletons([], [], {}, {}) == []
    finally:
        index.close()


def test_an_imported_class_s_members_used_only_above_the_cursor_come_after_the_unused() -> None:
    # pack's order for an imported class (shapes.rank_members), as ranked_members' above.
    members = [
        Definition(name, "method", f"def {name}(self):", "", row, row, "Widget")
        for row, name in enumerate(("draw", "erase", "save"), 2)
    ]
    used = {"erase": 1, "save": 3}
    assert [m.name for m in rank_members(members, used)] == ["erase", "save", "draw"]
    ranked = rank_members(members, used, earlier=frozenset({"erase"}))
    assert [m.name for m in ranked] == ["save", "draw", "erase"]


def test_a_typescript_constructor_ranks_with_the_dunders(tmp_path: Path) -> None:
    # `obj.constructor(...)` is never what `obj.` is about to call: a class's constructor
    # listed before its other methods pushed rxjs's `Subject.asObservable` out at 512 tokens.
    source = (
        "export class Subject<T> {\n  constructor() {}\n  next(value: T) {}\n"
        "  asObservable(): Subject<T> {\n    return this;\n  }\n}\n"
    )
    write(tmp_path, "subject.ts", source)
    index = WorkspaceIndex(tmp_path)
    index.rescan()
    symbols = index.file("subject.ts")
    assert symbols is not None
    members = [
        DefinitionRef("subject.ts", d) for d in symbols.definitions if d.container == "Subject"
    ]
    names = [r.definition.name for r in ranked_members(members, {})]
    assert names == ["next", "asObservable", "constructor"]


def test_unused_members_sharing_words_with_the_lines_around_the_cursor_come_first():
    # `finalCmd.` with `finalCmd.InitDefaultVersionFlag()` on the next line: of a type's 100
    # members, InitDefaultHelpFlag (2 files use it) is likelier than Flags (20 files).
    from coderd.context.index.extract import Definition
    from coderd.context.retrieve.skeletons import near_words

    def member(name: str, line: int) -> DefinitionRef:
        return DefinitionRef("command.go", Definition(name, "method", name, "", line, line, "C"))

    members = [member("Flags", 1), member("InitDefaultHelpFlag", 2), member("Name", 3)]
    popular = {"Flags": 20, "InitDefaultHelpFlag": 2, "Name": 9}
    text = "func f(c *C) {\n\tc.InitDefaultCompletionCmd()\n\tc.Init\n\tc.InitDefaultVersionFlag()\n}\n"
    cursor = text.index("c.Init\n") + 6
    words = near_words(text, cursor)
    assert {"init", "default", "version", "flag"} <= words and "completion" in words
    # What is typed on the cursor's line is not among them: the context must not change.
    typed = text[:cursor] + "ialiseEverything" + text[cursor:]
    assert near_words(typed, cursor + len("ialiseEverything")) == words
    names = [r.definition.name for r in ranked_members(members, {}, popular, words)]
    assert names == ["InitDefaultHelpFlag", "Flags", "Name"]
    assert [r.definition.name for r in ranked_members(members, {}, popular)][0] == "Flags"


def test_a_module_alias_s_names_rank_by_the_words_around_the_cursor(tmp_path: Path) -> None:
    # `nodes.` in jinja2 with `Pair` and `Const` on the lines around: the module's names that
    # share those words come before the ones more files use.
    from coderd.context.retrieve.skeletons import near_words

    names = ["popular_one", "popular_two", "make_pair", "other"]
    module = "".join(f"def {n}(x):\n    return x\n\n\n" for n in names)
    users = {f"user{i}.py": "from mod import popular_one, popular_two\n" for i in range(3)}
    text, offset = cursor("import mod\n\n\ndef go(pair):\n    x = @@\n    return pair\n")
    index = workspace(tmp_path, {"mod.py": module, "main.py": text, **users})
    try:
        scope = scope_of(index, "main.py", index.file("main.py"), "python")
        usage, words = usage_of(text, offset), near_words(text, offset)
        plain, near = Added(), Added()
        module_candidates(index, "main.py", scope, usage, plain, 1e9)
        module_candidates(index, "main.py", scope, usage, near, 1e9, "python", words)
        assert plain.calls[0][4][0] == "popular_one"
        assert near.calls[0][4][0] == "make_pair"
    finally:
        index.close()
