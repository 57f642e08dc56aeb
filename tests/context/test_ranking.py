"""Ranking and packing by what the next line needs (#13): imported names before guesses at any
distance, no cap that loses an imported name, one line a name first, generated copies
collapsed, and a block that never passes its budget. Real files in tmp_path, no model."""

from __future__ import annotations

import re

from ctx_helpers import make

from coderd.config.settings import ContextSettings
from coderd.context.index.extract import Definition
from coderd.context.index.workspace import DefinitionRef
from coderd.context.pack.render import forms
from coderd.context.provider import ContextProvider
from coderd.context.retrieve.candidates import Candidate, retrieve, without_copies
from coderd.context.retrieve.imported import MATE_MAX


def tokens(text: str) -> list[str]:
    """Words and newlines: a tokenizer for which joining pieces costs (a blank line is a token)."""
    return re.findall(r"\S+|\n", text)


def test_an_imported_name_used_far_away_ranks_before_guesses_used_nearby(tmp_path):
    main = (
        "from .a import far_away\n\n\ndef go(thing):\n    far_away()\n"
        + "    x = 1\n" * 120
        + "    thing.some_method()\n    helper_nearby()\n    @@\n"
    )
    index = make(
        tmp_path,
        {
            "pkg/a.py": "def far_away():\n    pass\n",
            "pkg/b.py": "class B:\n    def some_method(self):\n        pass\n",
            "pkg/c.py": "def helper_nearby():\n    pass\n",
            "pkg/main.py": main.replace("@@", ""),
        },
    )
    offset = main.index("@@")
    found = retrieve(index, "pkg/main.py", main.replace("@@", ""), offset, 30)
    order = {c.ref.definition.name: (i, c.source) for i, c in enumerate(found)}
    assert order["some_method"][1] == "member" and order["helper_nearby"][1] == "nearby"
    assert order["far_away"][0] < order["some_method"][0]
    assert order["far_away"][0] < order["helper_nearby"][0]


def test_no_cap_cuts_an_imported_name(tmp_path):
    count = 120  # more than pack's MAX_CONSIDERED
    names = [f"function_{i:03d}" for i in range(count)]
    module = "".join(f"def {n}(value):\n    return value\n\n\n" for n in names)
    main = "".join(f"from .lib import {n}\n" for n in names) + "\n\ndef go():\n    "
    root = tmp_path / "ws"
    make(root, {"pkg/lib.py": module, "pkg/main.py": main}).close()
    provider = ContextProvider(ContextSettings(budget_tokens=100_000), [root])
    assert provider.index_for(root / "pkg" / "main.py").wait_ready(30)
    packed = provider.context_for(root / "pkg" / "main.py", main, len(main), tokens)
    missing = [n for n in names if f"def {n}(" not in packed.text]
    provider.close()
    assert missing == []


def test_the_block_never_passes_its_budget(tmp_path):
    files = {f"pkg/m{i}.py": f"def name_{i}(a, b):\n    return a + b\n" for i in range(12)}
    imports = "".join(f"from .m{i} import name_{i}\n" for i in range(12))
    main = imports + "\n\ndef go():\n    "
    files["pkg/main.py"] = main
    root = tmp_path / "ws"
    make(root, files).close()
    provider = ContextProvider(ContextSettings(budget_tokens=64), [root])
    assert provider.index_for(root / "pkg" / "main.py").wait_ready(30)
    over = {}
    for budget in range(12, 160, 7):
        packed = provider.context_for(
            root / "pkg" / "main.py", main, len(main), tokens, budget=budget
        )
        assert "name_" in packed.text or budget < 30
        over[budget] = len(tokens(packed.text)) - budget
    provider.close()
    assert max(over.values()) <= 0, over


def test_a_long_signature_comes_first_as_one_short_line():
    params = "".join(f"    parameter_{i}: int = {i},\n" for i in range(12))
    source = f"def configure(\n{params}) -> None:\n    pass\n    return None\n"
    header = source.split(") -> None:")[0] + ") -> None:"
    definition = Definition("configure", "function", header, "", 1, 16)
    shown = forms(source.splitlines(), definition, None, "#", False)
    assert "\n" not in shown[0] and len(shown[0]) < 110
    assert shown[0].startswith("def configure(parameter_0: int = 0,")
    assert len(shown[1]) > len(shown[0])  # then longer, then the body


def test_a_long_header_line_is_never_cut():
    """The header line as written is how the definition is recognised (and what #13's recall
    looks for): only parameters on further lines are cut."""
    params = ", ".join(f"parameter_{i}: i32" for i in range(10))
    source = f"pub fn configure({params}) -> Result<()> {{\n    Ok(())\n}}\n"
    header = source.split("\n")[0]
    definition = Definition("configure", "function", header.removesuffix(" {"), "", 1, 3)
    shown = forms(source.splitlines(), definition, None, "//", False)
    assert shown[0].startswith(header.removesuffix(" {"))


def test_a_generated_copy_goes_when_the_source_is_there():
    def candidate(path: str, name: str) -> Candidate:
        return Candidate(DefinitionRef(path, Definition(name, "function", "", "", 1, 2)), "nearby")

    found = without_copies(
        [
            candidate("dist/types/map.d.ts", "map"),
            candidate("src/map.ts", "map"),
            candidate("dist/cjs/only.js", "onlyBuilt"),
            candidate("src/other.ts", "other"),
        ]
    )
    assert [c.ref.path for c in found] == ["src/map.ts", "dist/cjs/only.js", "src/other.ts"]


def test_a_go_build_variant_shows_once():
    """gorilla/sessions' `options.go` and `options_go111.go` both declare `type Options
    struct`, one per Go version: the best ranked shows, alone or in a file's list; another
    package's `Options` stays."""

    def candidate(path: str, name: str, kind: str = "struct", members=None) -> Candidate:
        return Candidate(
            DefinitionRef(path, Definition(name, kind, "", "", 1, 2)), "package", 0, members
        )

    cookie = Definition("newCookie", "function", "", "", 3, 4)
    found = without_copies(
        [
            candidate("options.go", "Options"),
            candidate("cookie.go", "cookie.go", "skeleton", (cookie,)),
            candidate("options_go111.go", "Options"),
            candidate("cookie_go111.go", "cookie_go111.go", "skeleton", (cookie,)),
            candidate("other/options.go", "Options"),
        ]
    )
    assert [c.ref.path for c in found] == ["options.go", "cookie.go", "other/options.go"]


def test_every_exported_name_of_a_many_file_go_package_is_listed(tmp_path):
    files = {"go.mod": "module example.com/app\n\ngo 1.21\n"}
    for i in range(6):  # more files than a non-Go module alias may stand for
        files[f"util/part{i}.go"] = (
            f"package util\n\nfunc Exported{i}(x int) int {{\n\treturn x\n}}\n\n"
            f"func hidden{i}() {{}}\n"
        )
    main = 'package main\n\nimport "example.com/app/util"\n\nfunc main() {\n\tutil.Exported0(1)\n\t'
    files["cmd/main.go"] = main
    root = tmp_path / "ws"
    make(root, files).close()
    provider = ContextProvider(ContextSettings(budget_tokens=4096), [root])
    assert provider.index_for(root / "cmd" / "main.go").wait_ready(30)
    packed = provider.context_for(root / "cmd" / "main.go", main, len(main), tokens)
    provider.close()
    assert all(f"func Exported{i}(" in packed.text for i in range(6)), packed.text
    assert "hidden" not in packed.text  # another package cannot call them


def test_an_imported_class_can_show_all_its_members(tmp_path):
    methods = "".join(
        f"    def method_{i:02d}(self, value):\n        return value\n\n" for i in range(30)
    )
    main = "from .big import Big\n\n\ndef go():\n    "  # Big is imported, not typed here
    root = tmp_path / "ws"
    make(root, {"pkg/big.py": f"class Big:\n{methods}", "pkg/main.py": main}).close()
    provider = ContextProvider(ContextSettings(budget_tokens=4096), [root])
    assert provider.index_for(root / "pkg" / "main.py").wait_ready(30)
    packed = provider.context_for(root / "pkg" / "main.py", main, len(main), tokens)
    provider.close()
    missing = [i for i in range(30) if f"def method_{i:02d}(" not in packed.text]
    assert missing == []  # no cap of a dozen members makes the others unreachable


def test_a_module_member_the_file_uses_is_shown_once(tmp_path):
    util = "".join(f"def helper_{i}(value):\n    return value\n\n\n" for i in range(6))
    main = "from . import util\n\n\ndef go():\n    util.helper_3(1)\n    util."
    root = tmp_path / "ws"
    make(root, {"pkg/util.py": util, "pkg/main.py": main, "pkg/__init__.py": ""}).close()
    provider = ContextProvider(ContextSettings(budget_tokens=4096), [root])
    assert provider.index_for(root / "pkg" / "main.py").wait_ready(30)
    packed = provider.context_for(root / "pkg" / "main.py", main, len(main), tokens)
    provider.close()
    assert all(f"def helper_{i}(" in packed.text for i in range(6))
    assert packed.text.count("def helper_3(") == 1, packed.text


def test_a_base_class_s_members_come_under_its_header(tmp_path):
    base = "class Base:\n" + "".join(
        f"    def inherited_{i}(self):\n        pass\n\n" for i in range(4)
    )
    child = "from .base import Base\n\n\nclass Child(Base):\n    def own(self):\n        pass\n"
    main = "from .child import Child\n\n\ndef go(c: Child):\n    c.own()\n    c."
    root = tmp_path / "ws"
    make(root, {"pkg/base.py": base, "pkg/child.py": child, "pkg/main.py": main}).close()
    provider = ContextProvider(ContextSettings(budget_tokens=4096), [root])
    assert provider.index_for(root / "pkg" / "main.py").wait_ready(30)
    packed = provider.context_for(root / "pkg" / "main.py", main, len(main), tokens)
    provider.close()
    part = packed.text.split("# pkg/base.py\n", 1)[1]
    assert part.startswith("class Base:\n    def inherited_"), packed.text


def test_a_go_type_s_methods_rank_by_the_method_used_like_its_own_members(tmp_path):
    # Go methods (and Rust impls) sit outside the type's body, in a list of their own: ranked
    # one bucket behind the method the file used, it came after the package's unused names
    # (cobra's Command methods; dev method recall at 256 tokens 0.24 -> 0.29).
    main = "package app\n\nfunc run(s *Store) {\n\ts.Get()\n\tx := 1\n\t_ = x\n\ts.\n}\n"
    files = {
        "go.mod": "module example.com/app\n\ngo 1.21\n",
        "store.go": "package app\n\ntype Store struct {\n\tn int\n}\n",
        "methods.go": "package app\n\nfunc (s *Store) Get() int {\n\treturn s.n\n}\n\n"
        "func (s *Store) Put(x int) {\n\ts.n = x\n}\n",
        "other.go": "package app\n\n" + "".join(f"func Helper{i}() {{\n}}\n\n" for i in range(4)),
        "main.go": main,
    }
    index = make(tmp_path, files)
    found = retrieve(index, "main.go", main, main.index("s.\n}") + 2, 30)
    order = [(c.ref.path, c.source) for c in found]
    assert order.index(("methods.go", "type")) < order.index(("other.go", "package")), order


def test_a_re_exported_name_is_not_about_to_be_used(tmp_path):
    # itertools' lib.rs re-exports 300 names (`pub use`): each ranked first as imported and
    # not used yet, they held the 256 tokens the names its code uses needed.
    exports = "".join(f"pub fn exported_{i}() {{}}\n" for i in range(6))
    main = (
        "pub use crate::a::{exported_0, exported_1, exported_2, exported_3, exported_4};\n"
        "use crate::b::{Used, fresh};\n\n"
        "fn go(x: Used) {\n    \n}\n"
    )
    index = make(
        tmp_path,
        {
            "Cargo.toml": "",
            "src/a.rs": exports,
            "src/b.rs": "pub struct Used;\npub fn fresh() {}\n",
            "src/lib.rs": main,
        },
    )
    found = retrieve(index, "src/lib.rs", main, main.index("    \n") + 4, 30)
    index.close()
    # (`Used`, a parameter's type, is a candidate as that type: source "type".)
    order = [c.ref.definition.name for c in found if c.source in ("import", "type")]
    # Imported and not used yet (`fresh`) comes first; the re-exports after what is used.
    assert order[0] == "fresh" and order.index("Used") < order.index("exported_0"), order


def test_a_declared_rust_module_ranks_by_its_uses(tmp_path):
    # semver's lib.rs declares eight modules (`mod eval;`): each list ranked first, as a
    # module imported and about to be used, and `eval::`'s, used two lines below, came sixth.
    files = {f"src/m{i}.rs": f"pub fn name_{i}() {{}}\npub fn other_{i}() {{}}\n" for i in range(4)}
    main = "mod m0;\nmod m1;\nmod m2;\nmod m3;\n\nfn go() {\n    \n    m3::name_3();\n}\n"
    index = make(tmp_path, {"Cargo.toml": "", **files, "src/lib.rs": main})
    found = retrieve(index, "src/lib.rs", main, main.index("    \n") + 4, 30)
    index.close()
    lists = [c.ref.path for c in found if c.ref.definition.kind == "skeleton"]
    assert lists[0] == "src/m3.rs", lists


def test_an_imported_name_whose_words_are_around_the_cursor_ranks_as_used_nearby(tmp_path):
    # jinja2's Environment.__init__: `block_end_string: str = BLOCK_END_STRING,` among its
    # siblings; the constants are used again 80 lines below, so they ranked behind every name
    # used within 80 lines and were cut. All of a name's words around the cursor (not on its
    # line) rank it as used within 20 lines.
    main = (
        "from .defaults import BLOCK_END_STRING, LATE_NAME_X\nfrom .other import mid_used\n\n\n"
        "def go(\n    comment_end_string=2,\n    @@\n    block_start_string=1,\n):\n"
        + "    x = 1\n" * 25
        + "    mid_used()\n"
        + "    x = 1\n" * 200
        + "    BLOCK_END_STRING, LATE_NAME_X\n"
    )
    index = make(
        tmp_path,
        {
            "pkg/defaults.py": "BLOCK_END_STRING = '%}'\nLATE_NAME_X = 1\n",
            "pkg/other.py": "def mid_used():\n    pass\n",
            "pkg/main.py": main.replace("@@", ""),
        },
    )
    found = retrieve(index, "pkg/main.py", main.replace("@@", ""), main.index("@@"), 30)
    order = [c.ref.definition.name for c in found if c.source == "import"]
    assert order.index("BLOCK_END_STRING") < order.index("mid_used") < order.index("LATE_NAME_X")


def test_a_name_imported_with_one_used_here_ranks_as_used_nearby(tmp_path):
    # chrono's `let mut parsed = Parsed::new();` above `parse(&mut parsed, s, ...)`: `Parsed`,
    # used again 1,400 lines below, ranked behind every name used within 320 lines, though it
    # came in the same `use crate::format::{parse, Parsed, ...}` as the name of the next line.
    # Not through a barrel's import of dozens of names (mobx's `from "../internal"`).
    many = [f"name_{i:02d}" for i in range(MATE_MAX + 1)]
    main = (
        "from .fmt import parse, Parsed\nfrom .other import mid_used, far_other\n"
        f"from .barrel import {', '.join(many)}\n\n\n"
        "def go():\n    @@\n    parse(p)\n    name_00()\n"
        + "    x = 1\n" * 60
        + "    mid_used()\n"
        + "    x = 1\n" * 400
        + f"    Parsed, far_other, {', '.join(many[1:])}\n"
    )
    index = make(
        tmp_path,
        {
            "pkg/fmt.py": "def parse(p):\n    pass\n\n\nclass Parsed:\n    pass\n",
            "pkg/other.py": "def mid_used():\n    pass\n\n\ndef far_other():\n    pass\n",
            "pkg/barrel.py": "".join(f"def {name}():\n    pass\n" for name in many),
            "pkg/main.py": main.replace("@@", ""),
        },
    )
    found = retrieve(index, "pkg/main.py", main.replace("@@", ""), main.index("@@"), 30)
    index.close()
    order = [c.ref.definition.name for c in found if c.source == "import"]
    assert order.index("Parsed") < order.index("mid_used") < order.index("far_other"), order
    assert order.index("name_01") > order.index("mid_used"), order


def test_a_go_package_s_names_past_the_popular_ones_are_candidates_too(tmp_path):
    # gorilla/websocket's conn.go: `defaultWriteBufferSize`, declared in a file of the package
    # and used nowhere yet, was not among the package's MAX_PACKAGE_NAMES most used names and
    # so no candidate at any budget.
    from coderd.context.retrieve.packages import MAX_PACKAGE_NAMES

    count = MAX_PACKAGE_NAMES + 6
    names = "".join(f"func Name{i:02d}() int {{\n\treturn {i}\n}}\n\n" for i in range(count))
    main = "package app\n\nfunc use() int {\n\treturn \n}\n"
    index = make(
        tmp_path / "ws",
        {
            "go.mod": "module example.com/app\n",
            "names.go": f"package app\n\n{names}",
            "use.go": main,
        },
    )
    found = retrieve(index, "use.go", main, main.index("return ") + 7, 8)
    index.close()
    listed = {m.name for c in found if c.source == "package" for m in c.members or ()}
    assert listed == {f"Name{i:02d}" for i in range(count)}


def test_an_imported_name_used_only_above_the_cursor_ranks_after_those_used_below(tmp_path):
    # The prompt's prefix shows how `shown_above` is called; `used_below`'s signature is what
    # it does not show. The one used above ranks last among the imported names that are used,
    # nearest first among those used only above.
    # A comment or a docstring naming one shows no call: `noted`, called above and named in a
    # comment below, counts as used above only (starlette's `# ... the URL path`); `in_prose`,
    # named in a docstring and a comment only, as not used yet, first.
    main = (
        "from .a import shown_above, far_above, used_below, in_prose, noted\n\n\ndef go():\n"
        + "    far_above()\n"
        + "    noted()\n"
        + "    x = 1\n" * 30
        + "    shown_above()\n    @@\n"
        + "    # noted again\n"
        + "    x = 1\n" * 60
        + "    used_below()\n"
        + "    x = 1\n" * 30
        + '    """Calls in_prose."""\n'
        + "    # then in_prose\n"
    )
    index = make(
        tmp_path,
        {
            "pkg/a.py": "".join(
                f"def {name}():\n    pass\n\n\n"
                for name in ("shown_above", "far_above", "used_below", "in_prose", "noted")
            ),
            "pkg/main.py": main.replace("@@", ""),
        },
    )
    found = retrieve(index, "pkg/main.py", main.replace("@@", ""), main.index("@@"), 30)
    order = [c.ref.definition.name for c in found if c.source == "import"]
    assert order[:3] == ["in_prose", "used_below", "shown_above"], order
    assert set(order[3:]) == {"far_above", "noted"}


def test_a_go_package_name_used_only_above_the_cursor_ranks_after_those_used_below(tmp_path):
    main = (
        "package app\n\nfunc run() {\n\tshownAbove()\n"
        + "\tx := 1\n" * 5
        + "\t@@\n"
        + "\tx = 2\n" * 30
        + "\tusedBelow()\n}\n"
    )
    index = make(
        tmp_path,
        {
            "go.mod": "module example.com/app\n",
            "a.go": "package app\n\nfunc shownAbove() {}\n\nfunc usedBelow() {}\n",
            "main.go": main.replace("@@", ""),
        },
    )
    found = retrieve(index, "main.go", main.replace("@@", ""), main.index("@@"), 30)
    order = [c.ref.definition.name for c in found if c.source == "package"]
    assert order == ["usedBelow", "shownAbove"], order


def test_a_module_name_used_only_above_the_cursor_ranks_after_those_used_below(tmp_path):
    main = (
        "from . import utils\n\n\ndef go():\n    utils.shown_above()\n"
        + "    x = 1\n" * 5
        + "    @@\n"
        + "    x = 2\n" * 30
        + "    utils.used_below()\n"
    )
    index = make(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/utils.py": "def shown_above():\n    pass\n\n\ndef used_below():\n    pass\n",
            "pkg/main.py": main.replace("@@", ""),
        },
    )
    found = retrieve(index, "pkg/main.py", main.replace("@@", ""), main.index("@@"), 30)
    order = [c.ref.definition.name for c in found if c.source == "module"]
    assert order[:2] == ["used_below", "shown_above"], order


def test_a_module_aliass_unused_names_list_after_names_used_a_bucket_further(tmp_path):
    """`helpers.a()` right above the cursor says the module is in use; the rest of it (names
    the file never uses) lists after `thing`, used four lines below, not before it."""
    helpers = "".join(f"def {n}():\n    pass\n\n\n" for n in "abcdef")
    main = (
        "from pkg import helpers\nfrom pkg.other import thing\n\n\ndef run():\n"
        "    helpers.a()\n    @@\n    x = 1\n    y = 2\n    z = 3\n    thing()\n"
    )
    index = make(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/helpers.py": helpers,
            "pkg/other.py": "def thing():\n    pass\n",
            "pkg/main.py": main.replace("@@", ""),
        },
    )
    found = retrieve(index, "pkg/main.py", main.replace("@@", ""), main.index("@@"), 30)
    order = [(c.ref.definition.name, c.source) for c in found]
    listed = next(i for i, c in enumerate(found) if c.ref.definition.kind == "skeleton")
    assert order.index(("thing", "import")) < listed, order
    index.close()


def test_a_go_package_s_name_sharing_words_with_the_lines_around_the_cursor_ranks_first(
    tmp_path,
):
    # raft's api.go declares `verifyCh chan *verifyFuture` among channels of futures; the
    # struct's types are used hundreds of lines below, `closeFn` 60 lines away. The names
    # sharing words with the lines around the cursor (`snapshot`, `future`) rank as if used
    # within 10 lines; one shared word within 20 (+53/+32/+6 of 895 package samples).
    main = (
        "package app\n\ntype Node struct {\n\t// snapshotCh takes each snapshot future\n"
        "\tsnapshotCh chan *\n\tcloseCh chan bool\n}\n\n"
        "func run() {\n"
        + "\tx := 1\n" * 60
        + "\tcloseFn()\n"
        + "\tx = 2\n" * 300
        + "\tvar f *snapshotFuture\n\tvar g *otherFuture\n\tvar h *unrelatedThing\n}\n"
    )
    index = make(
        tmp_path / "ws",
        {
            "go.mod": "module example.com/app\n",
            "future.go": "package app\n\ntype snapshotFuture struct{}\n\n"
            "type otherFuture struct{}\n\ntype unrelatedThing struct{}\n\nfunc closeFn() {}\n",
            "node.go": main,
        },
    )
    found = retrieve(index, "node.go", main, main.index("chan *") + 6, 8)
    index.close()
    order = [c.ref.definition.name for c in found if c.source == "package"]
    assert order.index("snapshotFuture") < order.index("closeFn") < order.index("unrelatedThing")
    assert order.index("otherFuture") < order.index("closeFn")
