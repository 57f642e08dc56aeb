"""What a member list shows (#13): a declaration's member line keeps its `;`; a Go interface
lists its methods; a definition is shown once (not by a signature list starting at its line
too); nothing another file cannot name (`_`, Go's `init`). Real files in tmp_path, no model."""

from __future__ import annotations

from ctx_helpers import make

from coderd.context.retrieve.candidates import retrieve


def test_a_declared_member_is_shown_with_its_semicolon():
    # `abort(): void;` as written: without its `;` it is not the line a reader (or the
    # evaluation, which looks for the gold's line) finds in the interface.
    from coderd.context.index.extract import extract
    from coderd.context.pack.render import member_line

    source = "export interface Controller {\n  readonly signal: string;\n  abort(): void;\n}\n"
    abort = next(d for d in extract(source.encode(), "typescript").definitions if d.name == "abort")
    assert member_line(source.split("\n"), abort) == "  abort(): void;"


def test_a_member_on_one_line_is_shown_as_written():
    # Go's `type formBinding struct{}`: the signature stops before the body, and gin's binding
    # package lists were `type formBinding struct`, a line the file does not have.
    from coderd.context.index.extract import extract
    from coderd.context.pack.render import member_line

    source = "package binding\n\ntype formBinding struct{}\ntype uriBinding struct { }\n"
    found = {d.name: d for d in extract(source.encode(), "go").definitions}
    lines = source.split("\n")
    assert member_line(lines, found["formBinding"]) == "type formBinding struct{}"
    assert member_line(lines, found["uriBinding"]) == "type uriBinding struct { }"
    # Rust's tuple struct: its fields are what `MapForGrouping(iter, f)` is built from.
    source = "pub struct MapForGrouping<I, F>(I, F);\n\npub struct Unit;\n"
    found = {d.name: d for d in extract(source.encode(), "rust").definitions}
    lines = source.split("\n")
    assert member_line(lines, found["MapForGrouping"]) == "pub struct MapForGrouping<I, F>(I, F);"
    assert member_line(lines, found["Unit"]) == "pub struct Unit;"


GO_FILES = {
    "go.mod": "module example.com/app\n",
    "examples/main.go": "package main\n\ntype Handler struct{}\n\nfunc (Handler) Serve() {}\n",
    "mw/provider.go": (
        'package mw\n\nimport "net/http"\n\n'
        "type Provider interface {\n\tPath() string\n\tKeyring() string\n}\n\n"
        "var _ http.Handler = nil\n\nfunc init() {}\n\nfunc Popular() {}\n"
    ),
    "mw/other.go": "package mw\n\nfunc Other() {\n\tPopular()\n}\n",
}


def test_go_interfaces_list_their_methods_and_foreign_types_stay_foreign(tmp_path):
    main = (
        'package mw\n\nimport "net/http"\n\nfunc Wrap(next http.Handler, p Provider) {\n\tp.\n}\n'
    )
    index = make(tmp_path / "ws", {**GO_FILES, "mw/wrap.go": main})
    found = retrieve(index, "mw/wrap.go", main, main.index("p.\n") + 2, 8)
    index.close()
    listed = {(c.ref.path, m.name) for c in found for m in c.members or ()}
    assert ("mw/provider.go", "Keyring") in listed  # the interface's methods, for `p.`
    # `http.Handler` is net/http's, not the example program's Handler.
    assert all(c.ref.path != "examples/main.go" or c.source == "nearby" for c in found)
    named = {m.name for c in found for m in c.members or ()} | {
        c.ref.definition.name for c in found
    }
    assert "_" not in named and "init" not in named  # nothing another file can call


def test_a_definition_is_shown_once_not_also_by_a_list_starting_at_its_line(tmp_path):
    # semver's lib.rs: `mod parse;` lists parse.rs, whose first name is `pub struct Error`,
    # which lib.rs also imports. The list started at Error's line and lent it its members:
    # `pub struct Error {` then `pub struct Error`, and the list's names under Error's head.
    parse = "pub struct Error {\n    kind: u8,\n}\n\npub fn version_req() {}\n\npub fn op() {}\n"
    main = "mod parse;\nuse crate::parse::Error;\n\nfn go(e: Error) {\n    \n}\n"
    index = make(tmp_path / "ws", {"Cargo.toml": "", "src/parse.rs": parse, "src/lib.rs": main})
    found = retrieve(index, "src/lib.rs", main, main.index("    \n") + 4, 8)
    index.close()
    error = [c for c in found if c.ref.definition.name == "Error"]
    assert len(error) == 1 and not error[0].members, error
    listed = [m.name for c in found if c.ref.definition.kind == "skeleton" for m in c.members]
    assert "version_req" in listed and "Error" not in listed


def test_a_module_s_class_that_types_a_name_at_the_cursor_grows_as_a_type(tmp_path):
    # `app = typer.Typer()` then `app.`: the class is a candidate through the module alias
    # (ranked first) and as the type of `app`. Merged into the module's, its list grew as a
    # module list's (four times slower), and `app.add_typer` was cut at 256 tokens. Merged
    # into a name imported directly, it keeps the import's growth (after the imported lines).
    from coderd.context.pack.block import _grow_turn
    from coderd.context.pack.render import Forms

    store = "class Store:\n" + "".join(f"    def op{i}(self):\n        pass\n" for i in range(9))
    through_module = (
        "from . import store\n\n\ndef go():\n    s = store.Store()\n    s.op1()\n    s.\n\n\n"
        "def again() -> store.Store:\n    pass\n"
    )
    # (Used below the cursor too: an imported name used only above it ranks after the type.)
    imported = (
        "from .store import Store\n\n\ndef go(s: Store):\n    s.op1()\n    s.\n\n\n"
        "def again() -> Store:\n    pass\n"
    )
    index = make(
        tmp_path / "ws",
        {"pkg/store.py": store, "pkg/a.py": through_module, "pkg/b.py": imported},
    )
    merged = {}
    for rel, text in (("pkg/a.py", through_module), ("pkg/b.py", imported)):
        found = retrieve(index, rel, text, text.index("s.\n") + 2, 8)
        merged[rel] = next(c for c in found if c.ref.definition.name == "Store")
    index.close()
    module, plain = merged["pkg/a.py"], merged["pkg/b.py"]
    assert module.source == "module" and module.typed and module.members
    assert plain.source == "import" and not plain.typed
    forms = Forms(["a", "b", "c"])
    untyped = type(module)(module.ref, module.source, module.score, module.members)
    assert _grow_turn(module, 0, 1, forms) < _grow_turn(untyped, 0, 1, forms)
