"""Packing (#13): the first lines of the names the file imports before anything grows into
their room (pack/budget.py's reservation), a struct's fields and a class's head after every
imported signature, and a name shown once. Real files in tmp_path, no model."""

from __future__ import annotations

import re

from ctx_helpers import make

from coderd.config.settings import ContextSettings
from coderd.context.provider import ContextProvider
from coderd.context.retrieve.candidates import retrieve


def tokens(text: str) -> list[str]:
    """Words and newlines: a tokenizer for which joining pieces costs (a blank line is a token)."""
    return re.findall(r"\S+|\n", text)


def test_a_struct_s_fields_come_after_every_imported_signature(tmp_path):
    fields = "".join(
        f"    /// Field number {i}, documented at length.\n    pub field_{i}: u32,\n"
        for i in range(12)
    )
    files = {
        "src/parsed.rs": f"pub struct Parsed {{\n{fields}}}\n",
        "src/util.rs": "".join(f"pub fn util_{i}(x: u32) -> u32 {{\n    x\n}}\n" for i in range(8)),
    }
    imports = "use crate::parsed::Parsed;\n" + "".join(
        f"use crate::util::util_{i};\n" for i in range(8)
    )
    main = imports + "\nfn go(p: &mut Parsed) {\n    "
    files["src/main.rs"] = main
    root = tmp_path / "ws"
    make(root, files).close()
    provider = ContextProvider(ContextSettings(budget_tokens=4096), [root])
    assert provider.index_for(root / "src" / "main.rs").wait_ready(30)
    path = root / "src" / "main.rs"
    shown = [
        provider.context_for(path, main, len(main), tokens, budget=budget).text
        for budget in range(40, 1000, 10)
    ]
    provider.close()
    first_fields = next(text for text in shown if "field_0" in text)
    # The first budget that shows a field already holds every imported function's line.
    assert all(f"pub fn util_{i}(" in first_fields for i in range(8)), first_fields


def test_a_typed_class_s_head_comes_after_every_imported_signature(tmp_path):
    # A class at the cursor grows its member list early; its head (a static initialiser, a
    # docstring) is a body and must wait for the imported names used far away (rxjs's
    # Subscription took 193 of 512 tokens before Subject's members could show).
    head = "".join(f"    setting_{i} = compute({i}, 'a long initialiser')\n" for i in range(8))
    methods = "".join(f"    def method_{i}(self):\n        pass\n\n" for i in range(4))
    imports = "from .store import Store\n" + "".join(
        f"from .util import util_{i}\n" for i in range(20)
    )
    far = "".join(f"    util_{i}(1)\n" for i in range(20))
    main = imports + "\n\ndef earlier():\n" + far + "    pass\n" * 200  # > 160 lines away
    main += "\n\ndef go(store: Store):\n    store.method_1()\n    store."
    files = {
        "pkg/__init__.py": "",
        "pkg/store.py": f'class Store:\n    """The store."""\n{head}\n{methods}',
        "pkg/util.py": "".join(f"def util_{i}(x):\n    return x\n\n\n" for i in range(20)),
        "pkg/main.py": main,
    }
    root = tmp_path / "ws"
    make(root, files).close()
    provider = ContextProvider(ContextSettings(budget_tokens=4096), [root])
    path = root / "pkg" / "main.py"
    assert provider.index_for(path).wait_ready(30)
    shown = [
        provider.context_for(path, main, len(main), tokens, budget=budget).text
        for budget in range(40, 600, 10)
    ]
    provider.close()
    assert any("def method_3(" in text for text in shown)
    first_head = next(text for text in shown if "setting_0" in text)
    assert all(f"def util_{i}(" in first_head for i in range(20)), first_head


def _store_and_twenty_imports(tmp_path, budget: int) -> str:
    """A class at the cursor (40 long methods) and 20 imported functions used 200 lines away
    (7 tokens a line with `tokens`): the block packed at `budget`."""
    methods = "".join(
        f"    def method_{i}(self, first, second, third, fourth, fifth, sixth, seventh, eighth):\n"
        "        pass\n\n"
        for i in range(40)
    )
    imports = "from .store import Store\n" + "".join(
        f"from .util import util_{i}\n" for i in range(20)
    )
    far = "".join(f"    util_{i}(1)\n" for i in range(20))
    main = imports + "\n\ndef earlier():\n" + far + "    pass\n" * 200  # > 160 lines away
    main += "\n\ndef go(store: Store):\n    store.method_1()\n    store."
    files = {
        "pkg/__init__.py": "",
        "pkg/store.py": f"class Store:\n{methods}",
        "pkg/util.py": "".join(
            f"def util_{i}(alpha, beta, gamma, delta):\n    return alpha\n\n\n" for i in range(20)
        ),
        "pkg/main.py": main,
    }
    root = tmp_path / "ws"
    make(root, files).close()
    provider = ContextProvider(ContextSettings(budget_tokens=4096), [root])
    path = root / "pkg" / "main.py"
    assert provider.index_for(path).wait_ready(30)
    packed = provider.context_for(path, main, len(main), tokens, budget=budget)
    provider.close()
    return packed.text


def test_a_typed_class_s_members_never_take_the_room_of_an_imported_name_s_line(tmp_path):
    # A class at the cursor ranks before names imported and used 200 lines away, and its
    # member list grows in the same order: it took the lines those names needed (click's
    # core.py at 512 tokens: types.py's lists, 19 imports without a line; naive showed them).
    # 20 imported lines of 7 tokens: under half the budget, which the reservation holds.
    text = _store_and_twenty_imports(tmp_path, 320)
    assert text.count("def method_") >= 5, text  # the list still grew (to TYPE_SHARE: 96)
    assert all(f"def util_{i}(" in text for i in range(20)), text


def test_the_imported_names_lines_hold_their_room_whole_when_they_fit_three_quarters(tmp_path):
    # jinja2's environment.py imports 47 names; its defaults (`BLOCK_START_STRING`), used 80
    # lines below, came after half the budget: a list ranked before them took the rest. When
    # every imported line fits in RESERVE_ALL_SHARE of the budget, all of them are held.
    # 20 imported lines of 7 tokens and their header: more than half of 240, under 3/4.
    text = _store_and_twenty_imports(tmp_path, 240)
    assert all(f"def util_{i}(" in text for i in range(20)), text
    assert "class Store:" in text and "def method_" in text, text  # the list at the cursor


def test_a_go_package_s_name_is_not_listed_twice(tmp_path):
    # A name declared next to one the file uses (a sibling), or used as `x.Name`, that is also
    # among the package's popular names was a candidate twice: in a list and on its own line.
    helpers = "".join(f"func Helper{i}() int {{\n\treturn {i}\n}}\n" for i in range(4))
    files = {
        "go.mod": "module example.com/app\n\ngo 1.21\n",
        "helpers.go": "package app\n\nfunc Alpha() int {\n\treturn 9\n}\n\n\n\n" + helpers,
        "user.go": "package app\n\nfunc use() int {\n\treturn Alpha() + Helper1() + Helper2()\n}\n",
        # Helper3 used only as `x.Helper3` (a method of that name, as far as the index can
        # tell) is a candidate of its own too (candidates.py).
        "main.go": "package app\n\nfunc run(x T) {\n\t_ = Helper0() + x.Helper3()\n\t\n}\n",
    }
    index = make(tmp_path, files)
    main = files["main.go"]
    found = retrieve(index, "main.go", main, main.index("\t\n}") + 1, 30)
    index.close()
    shown = [
        (c.source, d.name)
        for c in found
        for d in (c.members if c.members is not None else (c.ref.definition,))
        if c.ref.path == "helpers.go"
    ]
    names = [name for _, name in shown]
    assert sorted(set(names)) == ["Alpha", "Helper0", "Helper1", "Helper2", "Helper3"], shown
    assert len(names) == len(set(names)), shown


def test_the_list_of_a_type_at_the_cursor_grows_before_a_package_s_names(tmp_path):
    # The type of the name at the cursor (a receiver's `Command`, 100 methods) is what `x.`
    # reaches; a Go package's lists of popular names, ranked a little after it, grew in turn
    # with it and took the room it needed (cobra's completions.go: `finalCmd.` with 16 of
    # Command's members shown at 512 tokens). It grows first, to TYPE_SHARE of the budget.
    from coderd.context.index.extract import Definition
    from coderd.context.index.workspace import DefinitionRef
    from coderd.context.pack.block import TYPE_SHARE, pack
    from coderd.context.retrieve.candidates import Candidate
    from coderd.context.retrieve.skeletons import signature_list

    def function(name: str, line: int, container: str = "") -> Definition:
        receiver = "(s *Store) " if container else ""
        header = f"func {receiver}{name}() {{"
        return Definition(
            name, "method" if container else "function", header, "", line, line + 1, container
        )

    texts = {"store.go": "type Store struct {\n}\n"}
    texts["store.go"] += "".join(f"func (s *Store) Method{i}() {{\n}}\n" for i in range(40))
    methods = tuple(function(f"Method{i}", 3 + 2 * i, "Store") for i in range(40))
    klass = Definition("Store", "struct", "type Store struct {", "", 1, 2, "")
    candidates = [Candidate(DefinitionRef("store.go", klass), "type", 0.2, methods)]
    for f in range(4):  # four files of the package, their popular names
        texts[f"util{f}.go"] = "".join(f"func Util{f}x{i}() {{\n}}\n" for i in range(12))
        names = [
            DefinitionRef(f"util{f}.go", function(f"Util{f}x{i}", 1 + 2 * i)) for i in range(12)
        ]
        listed, shown = signature_list(f"util{f}.go", "", names)
        candidates.append(Candidate(listed, "package", 0.4 + 0.025 * f, shown))
    packed = pack(
        candidates,
        current_path="main.go",
        read=texts.get,
        members_of=lambda path, name: [],
        tokenize=tokens,
        budget=320,
    )
    # It grows first, to its share of the budget (TYPE_SHARE: the rest is the names').
    per_line = len(tokens("func (s *Store) Method10() {\n"))
    shown = packed.text.count("func (s *Store) Method")
    assert shown >= 0.7 * TYPE_SHARE * 320 / per_line, packed.text  # headers take the rest
    assert shown * per_line <= TYPE_SHARE * 320, packed.text  # and no further
    # Alone, it grows on once every name had its line (to MAX_SHARE).
    alone = pack(
        candidates[:1],
        current_path="main.go",
        read=texts.get,
        members_of=lambda path, name: [],
        tokenize=tokens,
        budget=320,
    )
    assert alone.text.count("func (s *Store) Method") * per_line > TYPE_SHARE * 320, alone.text
    assert all(f"func Util{f}x" in packed.text for f in range(4))  # each list has its first names


def test_an_imported_class_shows_first_the_members_named_like_the_lines_around_the_cursor():
    # `prepared_request.` of unknown type, PreparedRequest imported: of its nine prepare_*
    # methods, the one whose words are around the cursor (`cookies` below) before file order.
    from coderd.context.index.extract import Definition
    from coderd.context.index.workspace import DefinitionRef
    from coderd.context.pack.block import pack
    from coderd.context.retrieve.candidates import Candidate
    from coderd.context.retrieve.skeletons import near_words

    names = ["prepare_method", "prepare_url", "prepare_headers", "prepare_body", "prepare_cookies"]
    text = "class PreparedRequest:\n" + "".join(
        f"    def {n}(self):\n        pass\n" for n in names
    )
    klass = Definition("PreparedRequest", "class", "class PreparedRequest:", "", 1, 11, "")
    members = [
        Definition(n, "method", f"def {n}(self):", "", 2 + 2 * i, 3 + 2 * i, "PreparedRequest")
        for i, n in enumerate(names)
    ]
    current = "def go(r):\n    p = r.copy()\n    p.\n    jar = extract_cookies(p)\n"
    near = near_words(current, current.index("p.\n") + 2)
    assert "cookies" in near
    packed = pack(
        [Candidate(DefinitionRef("models.py", klass), "import", 0.2)],
        current_path="main.py",
        read={"models.py": text}.get,
        members_of=lambda path, name: members if name == "PreparedRequest" else [],
        tokenize=tokens,
        budget=30,
        near=near,
    )
    assert "def prepare_cookies(self):" in packed.text, packed.text
    assert "def prepare_body(self):" not in packed.text


def test_a_line_that_surely_does_not_fit_is_not_tokenised():
    # itertools' lib.rs imports 300 names: once a few tokens were left, each name's line was
    # tokenised to learn it did not fit (161 tokenizer calls in a first build at 256 tokens).
    # Each run of ASCII letters and digits is a token at least: such lines are skipped unseen.
    from coderd.context.pack.block import _surely_over

    line = "pub fn name(value: u32) -> u32"  # 31 characters, 7 runs
    assert _surely_over(line, 5) and not _surely_over(line, 7)
    assert not _surely_over("café crème brûlée", 3)  # runs touching non-ASCII are not counted
    assert _surely_over("x" * 100, 10)  # and no run: the characters say it


def test_a_chunk_names_the_member_lines_it_lists(tmp_path):
    # A Rust type's methods sit in `impl` blocks below it: the chunk's own lines do not span
    # them, so `coderd context --json` (and the evaluation's check that the gold's line was
    # packed) reads them from the chunk's `members`.
    lib = (
        "pub enum Weekday {\n    Mon,\n    Tue,\n}\n\n"
        "impl Weekday {\n"
        "    pub fn succ(&self) -> Weekday {\n        Weekday::Tue\n    }\n\n"
        "    pub fn number_from_monday(&self) -> u32 {\n        1\n    }\n}\n"
    )
    main = "use crate::weekday::Weekday;\n\nfn go(day: Weekday) -> u32 {\n    day.\n}\n"
    root = tmp_path / "ws"
    make(root, {"src/weekday.rs": lib, "src/main.rs": main}).close()
    provider = ContextProvider(ContextSettings(budget_tokens=1024), [root])
    path = root / "src" / "main.rs"
    assert provider.index_for(path).wait_ready(30)
    offset = main.index("day.\n") + 4
    packed = provider.context_for(path, main, offset, tokens, budget=1024)
    provider.close()
    chunks = [c for c in packed.chunks if c["name"] == "Weekday"]
    assert [1, 4] in [c["lines"] for c in chunks]
    rows = lib.split("\n")
    starts = [start for c in chunks for start, _ in c.get("members", ())]
    assert {rows[start - 1].strip() for start in starts} == {
        "pub fn succ(&self) -> Weekday {",
        "pub fn number_from_monday(&self) -> u32 {",
    }
    assert all(start > 4 for start in starts)
    # Each member once: the enum's own chunk does not list again what the impl's list shows.
    assert packed.text.count("pub fn number_from_monday(&self) -> u32") == 1


def _store(methods: int, source: str, score: float):
    """A Python class `Store` of `methods` one-line methods, as a candidate with its list,
    its file's text, and the `def` line maker the tests below share."""
    from coderd.context.index.extract import Definition
    from coderd.context.index.workspace import DefinitionRef
    from coderd.context.retrieve.candidates import Candidate

    def function(name: str, line: int, container: str = "") -> DefinitionRef:
        kind = "method" if container else "function"
        path = "store.py" if container else "util.py"
        definition = Definition(name, kind, f"def {name}(a, b):", "", line, line + 1, container)
        return DefinitionRef(path, definition)

    text = "class Store:\n" + "".join(f"    def m{i}(a, b):\n" for i in range(methods))
    members = tuple(function(f"m{i}", 1 + i, "Store").definition for i in range(methods))
    klass = Definition("Store", "class", "class Store:", "", 0, methods + 1, "")
    return Candidate(DefinitionRef("store.py", klass), source, score, members), text, function


def _pack_texts(candidates, texts: dict[str, str], budget: int):
    from coderd.context.pack.block import pack

    return pack(
        candidates,
        current_path="main.py",
        read=texts.get,
        members_of=lambda path, name: [],
        tokenize=tokens,
        budget=budget,
    )


def test_an_imported_type_s_list_grows_after_every_imported_name_s_line():
    # An imported class used on the line above (its list chosen for the file's uses) ranks
    # first; forty names imported and used further away each need their line, more than the
    # reservation holds. The class's members come after all of those lines had their turn.
    from coderd.context.retrieve.candidates import Candidate

    store, text, function = _store(20, "import", 0.0)
    texts = {"store.py": text, "util.py": "".join(f"def util_{i}(a, b):\n" for i in range(40))}
    names = [Candidate(function(f"util_{i}", i), "import", 0.5) for i in range(40)]
    packed = _pack_texts([store, *names], texts, 200)
    lines = packed.text.count("def util_")
    assert lines * len(tokens("def util_10(a, b):\n")) >= 0.8 * 200 - 40, packed.text


def test_a_type_s_list_grows_on_when_every_imported_line_is_held():
    # TYPE_SHARE protects names' lines the reservation does not hold; when it holds every
    # imported line and no package names compete, the list at the cursor grows before the
    # guesses ranked after it, as far as MAX_SHARE.
    from coderd.context.pack.block import TYPE_SHARE
    from coderd.context.retrieve.candidates import Candidate

    store, text, function = _store(40, "type", 0.2)
    guesses = "".join(f"def guess_{i}(a, b):\n" for i in range(70))
    texts = {"store.py": text, "util.py": "def util(a, b):\n" + guesses}
    candidates = [Candidate(function("util", 0), "import", 0.0), store]
    candidates += [Candidate(function(f"guess_{i}", 1 + i), "member", 1.0) for i in range(70)]
    packed = _pack_texts(candidates, texts, 320)
    shown = packed.text.count("    def m")
    assert shown * len(tokens("    def m10(a, b):\n")) > TYPE_SHARE * 320, packed.text
