"""Retrieval sources and import resolution on real files in tmp_path (fast: no model)."""

from __future__ import annotations

from ctx_helpers import make

from coderd.config.settings import ContextSettings
from coderd.context.pack.block import RepoFormat
from coderd.context.provider import ContextProvider
from coderd.context.retrieve.candidates import retrieve
from coderd.context.retrieve.recent import RecentRegions, first_difference
from coderd.context.retrieve.resolve import resolve_import
from coderd.context.retrieve.usage import usage_of


def words(text: str) -> list[str]:
    return text.split()


def names(index, rel, text, cursor_marker="@@") -> list[tuple[str, str, str]]:
    offset = text.index(cursor_marker)
    text = text.replace(cursor_marker, "")
    return [
        (c.ref.path, c.ref.definition.name, c.source)
        for c in retrieve(index, rel, text, offset, 30)
    ]


def test_python_init_reexport_and_src_layout(tmp_path):
    main = "from mypkg import Client\n\n\ndef go():\n    @@\n"
    index = make(
        tmp_path,
        {
            "src/mypkg/__init__.py": "from .client import Client\n",
            "src/mypkg/client.py": "class Client:\n    def send(self):\n        pass\n",
            "src/mypkg/app.py": main.replace("@@", ""),
        },
    )
    assert ("src/mypkg/client.py", "Client", "import") in names(index, "src/mypkg/app.py", main)


def test_python_module_attribute_and_submodule_import(tmp_path):
    main = "from . import utils\nimport pkg.helpers as h\n\n\ndef go():\n    utils.quote(1)\n    @@\n    h.slug(2)\n"
    index = make(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/utils.py": "def quote(x):\n    return x\n\n\ndef unquote(x):\n    return x\n",
            "pkg/helpers.py": "def slug(x):\n    return x\n",
            "pkg/main.py": main.replace("@@", ""),
        },
    )
    found = names(index, "pkg/main.py", main)
    assert ("pkg/utils.py", "quote", "module") in found
    assert ("pkg/helpers.py", "slug", "module") in found
    assert all(name != "unquote" for _, name, _ in found)  # not used: not retrieved


def test_a_package_alias_reaches_what_its_init_imports_from_its_modules(tmp_path):
    # `import typer; typer.run(main)`: `run` is main.py's, imported by typer/__init__.py.
    app = "import cli\n\n\ndef go():\n    cli.echo(1)\n    cli.@@\n"
    index = make(
        tmp_path,
        {
            "cli/__init__.py": "from .main import run as run\nfrom .out import echo\n",
            "cli/main.py": "def run(f):\n    return f()\n",
            "cli/out.py": "def echo(x):\n    print(x)\n",
            "docs/app.py": app.replace("@@", ""),
        },
    )
    found = names(index, "docs/app.py", app)
    assert ("cli/out.py", "echo", "module") in found  # used through the alias
    listed = [
        c.members
        for c in retrieve(index, "docs/app.py", app.replace("@@", ""), app.index("@@"), 30)
        if c.ref.path == "cli/main.py" and c.source == "module"
    ]
    assert [m.name for m in listed[0]] == ["run"]  # not used yet: in main.py's list


def test_an_imported_object_of_functions_lists_the_functions_it_names(tmp_path):
    # table-core: `export const filterFns = { includesString, equals }` names functions defined
    # above it in its file: `filterFns.` reaches them, so they come as that file's list.
    fns = (
        "export function includesString(a: string): boolean {\n  return true\n}\n\n"
        "export function equals(a: unknown): boolean {\n  return true\n}\n\n"
        "function helper(): void {}\n\n"
        "export const filterFns = {\n  includesString,\n  equals,\n}\n"
    )
    main = "import { filterFns } from './filterFns'\n\nexport function pick() {\n  return filterFns.@@\n}\n"
    index = make(tmp_path, {"src/filterFns.ts": fns, "src/pick.ts": main.replace("@@", "")})
    found = retrieve(index, "src/pick.ts", main.replace("@@", ""), main.index("@@"), 30)
    listed = {
        m.name
        for c in found
        if c.ref.path == "src/filterFns.ts" and c.ref.definition.kind == "skeleton"
        for m in c.members or ()
    }
    assert listed == {"includesString", "equals"}  # not helper, which it does not name


def test_method_of_an_object_whose_class_lives_elsewhere(tmp_path):
    main = "from .store import open_store\n\n\ndef go():\n    s = open_store()\n    s.compact_segments()\n    @@\n"
    index = make(
        tmp_path,
        {
            # (What open_store returns says no type: `return Store()` would type `s`.)
            "pkg/store.py": "class Store:\n    def compact_segments(self):\n        pass\n\n\ndef open_store():\n    return REGISTRY.get()\n",
            "pkg/main.py": main.replace("@@", ""),
        },
    )
    found = names(index, "pkg/main.py", main)
    assert ("pkg/store.py", "compact_segments", "member") in found


def test_typescript_js_extension_index_file_and_export_star(tmp_path):
    app = "import { parse } from './lib/index.js';\nimport { toMetres } from './units.js';\n\n@@\n"
    index = make(
        tmp_path,
        {
            "web/lib/index.ts": "export * from './parser';\n",
            "web/lib/parser.ts": "export function parse(s: string): number {\n  return 1;\n}\n",
            "web/units.ts": "export function toMetres(f: number): number {\n  return f;\n}\n",
            "web/app.ts": app.replace("@@", ""),
        },
    )
    found = names(index, "web/app.ts", app)
    assert ("web/lib/parser.ts", "parse", "import") in found
    assert ("web/units.ts", "toMetres", "import") in found


def test_go_package_by_directory_and_module_path(tmp_path):
    main = 'package main\n\nimport "example.com/app/util"\n\nfunc main() {\n\tutil.Clamp(1)\n\thelper()\n\t@@\n}\n'
    index = make(
        tmp_path,
        {
            "go.mod": "module example.com/app\n",
            "util/clamp.go": "package util\n\nfunc Clamp(x int) int {\n\treturn x\n}\n",
            "helper.go": "package main\n\nfunc helper() {}\n",
            "main.go": main.replace("@@", ""),
        },
    )
    found = names(index, "main.go", main)
    assert ("util/clamp.go", "Clamp", "module") in found
    assert ("helper.go", "helper", "package") in found


def test_rust_mod_and_use_paths(tmp_path):
    main = "mod geo;\nuse crate::geo::shapes::Circle;\n\nfn main() {\n    let c = Circle::new();\n    geo::area(1);\n    @@\n}\n"
    index = make(
        tmp_path,
        {
            "src/geo/mod.rs": "pub mod shapes;\npub fn area(x: i32) -> i32 { x }\n",
            "src/geo/shapes.rs": "pub struct Circle { r: f64 }\n",
            "src/main.rs": main.replace("@@", ""),
        },
    )
    found = names(index, "src/main.rs", main)
    # Used only above the cursor, Circle ranks as the type of `c` rather than as an import.
    assert ("src/geo/shapes.rs", "Circle", "type") in found
    assert ("src/geo/mod.rs", "area", "module") in found


def test_rust_use_of_the_crate_root_and_the_parent_module(tmp_path):
    # anyhow's error.rs: `use crate::{Error, StdError};` names lib.rs's items (a second
    # `Error` in tests/ made the name ambiguous, and it was lost); `use super::{...}` in a child.
    files = {
        "Cargo.toml": "",
        "src/lib.rs": "mod error;\npub struct Error {\n    code: u32,\n}\npub trait StdError {}\n",
        "src/error.rs": "use crate::{Error, StdError};\n\nimpl Error {\n}\n",
        "src/fmt/mod.rs": "pub fn render() {}\nmod inner;\n",
        "src/fmt/inner.rs": "use super::{render};\n\nfn go() {\n    render();\n}\n",
        "tests/ui/other.rs": "pub struct Error;\n",
    }
    index = make(tmp_path, files)
    by_import = {
        i.module: resolve_import(index, rel, i)
        for rel in ("src/error.rs", "src/fmt/inner.rs")
        for i in index.file(rel).imports
    }
    assert by_import == {
        "crate::{Error, StdError}": ["src/lib.rs"],
        "super::{render}": ["src/fmt/mod.rs"],
    }


def test_c_local_include(tmp_path):
    main = '#include "util/vec.h"\n#include <stdio.h>\n\nint main(void) {\n    vec_push(0);\n    @@\n}\n'
    index = make(
        tmp_path,
        {
            "include/util/vec.h": "void vec_push(int x);\nint vec_len(void);\n",
            "src/main.c": main.replace("@@", ""),
        },
    )
    statement = index.file("src/main.c").imports[0]
    assert resolve_import(index, "src/main.c", statement) == ["include/util/vec.h"]
    assert ("include/util/vec.h", "vec_push", "import") in names(index, "src/main.c", main)


def test_imported_unused_names_rank_first_then_the_nearest_use(tmp_path):
    main = (
        "from .a import far_away, not_used_yet, close_by\n\n\ndef go():\n    far_away()\n"
        + "    x = 1\n" * 60
        + "    close_by()\n    @@\n"
    )
    index = make(
        tmp_path,
        {
            "pkg/a.py": "def far_away():\n    pass\n\n\ndef not_used_yet():\n    pass\n\n\ndef close_by():\n    pass\n",
            "pkg/main.py": main.replace("@@", ""),
        },
    )
    order = [name for _, name, _ in names(index, "pkg/main.py", main)]
    # Imported and used nowhere yet: about to be, so first; then by the distance of use.
    assert order.index("not_used_yet") < order.index("close_by") < order.index("far_away")


def test_usage_ignores_the_text_typed_before_the_cursor():
    text = "a = foo.bar\nzzz.qqq"
    first = usage_of(text, len(text))
    second = usage_of(text + "xx.yy", len(text) + 5)
    assert first == second


def test_ring_buffer_records_the_changed_line_and_merges_nearby_changes(tmp_path):
    ring = RecentRegions(capacity=2, per_path=2)
    old = "a\nb\nc\nd\n"
    ring.record_change(tmp_path / "x.py", None, old)  # opened: viewed at its head
    ring.record_change(tmp_path / "x.py", old, "a\nb\nC\nd\n")
    assert ring.regions()[0][1][0] == (3, "edit")
    ring.record(tmp_path / "y.py", 5, "view")
    ring.record(tmp_path / "z.py", 5, "view")
    assert [p for p, _ in ring.regions()] == [str(tmp_path / "z.py"), str(tmp_path / "y.py")]
    assert first_difference("x" * 10000 + "a", "x" * 10000 + "b") == 10000


def test_recent_edits_in_other_files_reach_the_context(tmp_path):
    files = {
        "pkg/notes.py": "def helper_one():\n    return 1\n\n\ndef edited_here():\n    return 2\n",
        "pkg/main.py": "def go():\n    return 0\n",
    }
    root = tmp_path / "ws"
    make(root, files).close()
    provider = ContextProvider(ContextSettings(budget_tokens=400), [root])
    assert provider.index_for(root / "pkg" / "main.py").wait_ready(30)
    notes = root / "pkg" / "notes.py"
    provider.set_buffer(notes, files["pkg/notes.py"]).result(10)  # didOpen
    edited = files["pkg/notes.py"].replace("return 2", "return 3")
    provider.set_buffer(notes, edited).result(10)  # didChange on line 6
    main = files["pkg/main.py"]
    packed = provider.context_for(root / "pkg" / "main.py", main, main.index("return"), words)
    sources = {(c["name"], c["source"]) for c in packed.chunks}
    assert ("edited_here", "recent") in sources
    assert "return 3" in packed.text  # the buffer's text, not the disk's
    provider.close()


def test_similar_windows_from_open_files(tmp_path):
    other = (
        "".join(f"line{i} = {i}\n" for i in range(40))
        + "alpha_rate = beta_rate * gamma_rate\ndelta_rate = alpha_rate + epsilon_rate\n"
    )
    main = "def go():\n    alpha_rate = beta_rate * gamma_rate\n    delta_rate = alpha_rate\n    \n"
    root = tmp_path / "ws"
    make(root, {"a/other.py": other, "a/main.py": main}).close()
    provider = ContextProvider(ContextSettings(budget_tokens=400), [root])
    assert provider.index_for(root / "a" / "main.py").wait_ready(30)
    provider.set_buffer(root / "a" / "other.py", other).result(10)
    packed = provider.context_for(root / "a" / "main.py", main, len(main) - 1, words)
    assert any(c["source"] == "similar" for c in packed.chunks)
    assert "alpha_rate = beta_rate * gamma_rate" in packed.text
    provider.close()


def test_repo_token_format_for_qwen(tmp_path):
    files = {
        "pkg/a.py": "def helper():\n    return 1\n",
        "pkg/main.py": "from .a import helper\n\nx = 1\n",
    }
    root = tmp_path / "ws"
    make(root, files).close()
    provider = ContextProvider(
        ContextSettings(budget_tokens=400), [root], repo_format=RepoFormat(name="ws")
    )
    assert provider.index_for(root / "pkg" / "main.py").wait_ready(30)
    main = files["pkg/main.py"]
    packed = provider.context_for(root / "pkg" / "main.py", main, len(main), words)
    assert packed.text == (
        "<|repo_name|>ws\n<|file_sep|>pkg/a.py\ndef helper():\n    return 1\n\n"
        "<|file_sep|>pkg/main.py\n"
    )
    provider.close()


def test_small_budget_falls_back_to_signatures(tmp_path):
    body = "".join(f"    step_{i} = {i}\n" for i in range(10))
    files = {
        "pkg/a.py": f"def helper(x, y):\n{body}    return x\n",
        "pkg/main.py": "from .a import helper\n\nhelper(1, 2)\n",
    }
    root = tmp_path / "ws"
    make(root, files).close()
    provider = ContextProvider(ContextSettings(budget_tokens=14), [root])
    assert provider.index_for(root / "pkg" / "main.py").wait_ready(30)
    main = files["pkg/main.py"]
    packed = provider.context_for(root / "pkg" / "main.py", main, len(main), words)
    assert "def helper(x, y):" in packed.text and "step_3" not in packed.text
    provider.close()


def test_a_source_reads_the_cpu_clock_once_in_a_few_steps(tmp_path, monkeypatch):
    # A read of the thread's CPU clock is a system call (tens of µs on a loaded VM); the
    # members source read it once per `obj.name` of the file, 160 times a build on chrono.
    import time

    main = "def go(obj):\n" + "".join(f"    obj.method_{i}()\n" for i in range(200)) + "    @@\n"
    index = make(tmp_path / "ws", {"main.py": main, "other.py": "def helper():\n    pass\n"})
    reads = []
    real = time.thread_time
    monkeypatch.setattr(time, "thread_time", lambda: reads.append(1) or real())
    names(index, "main.py", main)
    monkeypatch.undo()
    index.close()
    assert len(reads) < 100, len(reads)


def test_a_list_keeps_no_more_members_than_the_budget_can_show(tmp_path):
    # object's elf.rs lists 2,700 constants through `elf::`: ranked, deduplicated and packed
    # on every build, though a 1,024-token block shows a few hundred lines at most.
    constants = "".join(f"pub const SHT_{i}: u32 = {i};\n" for i in range(60))
    main = "use crate::elf;\n\nfn go() -> u32 {\n    elf::SHT_1 + @@\n}\n"
    index = make(
        tmp_path,
        {
            "Cargo.toml": '[package]\nname = "o"\n',
            "src/lib.rs": "pub mod elf;\npub mod read;\n",
            "src/elf.rs": constants,
            "src/read.rs": main.replace("@@", ""),
        },
    )
    offset, text = main.index("@@"), main.replace("@@", "")

    def lists(max_listed=None):
        found = retrieve(index, "src/read.rs", text, offset, 30, max_listed=max_listed)
        return [c.members for c in found if c.ref.path == "src/elf.rs" and c.members]

    assert max(len(m) for m in lists()) >= 59  # uncapped: (nearly) all of them
    capped = lists(max_listed=7)
    assert capped and all(len(m) <= 7 for m in capped)
    assert capped[0] == lists()[0][:7]  # the best ranked, in the same order
    index.close()
