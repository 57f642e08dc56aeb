"""A blank line below a list (line_sequence.py): the names that go on with it lead the line
hint, on a real index of real Go files."""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import write
from test_line_shapes import hint_names

from coderd.context.index.extract import Definition
from coderd.context.index.workspace import DefinitionRef
from coderd.context.retrieve.line_follows import first_word
from coderd.context.retrieve.line_names import name_at
from coderd.context.retrieve.line_sequence import comment_above, listed_above, successors

TYPES = (
    "package dns\n\nconst (\n"
    "\tTypeNone uint16 = 0\n"
    "\tTypeA uint16 = 1\n"
    "\tTypeNS uint16 = 2\n"
    "\tTypeMD uint16 = 3\n"
    "\tTypeCNAME uint16 = 5\n"
    "\tTypeSOA uint16 = 6\n"
    ")\n\n"
    'func TypeString(t uint16) string { return "" }\n'
    "func typeCheck() bool { return true }\n"
)
TABLE = 'package dns\n\nvar TypeToString = map[uint16]string{\n\tTypeA:     "A",\n\tTypeCNAME: "CNAME",\n'


def refs(*names: str) -> list[DefinitionRef]:
    return [
        DefinitionRef("types.go", Definition(n, "constant", n, "", line, line))
        for line, n in enumerate(names, start=4)
    ]


def test_the_lines_above_as_indented_make_the_list() -> None:
    text = "x := 1\n\tTypeA: 1,\n\t// note\n\tTypeNS: 2,\n\tTypeMD: 3,\n\t"
    start = len(text) - 1
    assert listed_above(text, start, "\t") == ("TypeMD", "TypeNS")  # the comment ends it
    assert listed_above(text, start, "") == ()  # indented otherwise: no list
    assert first_word("TypeGPOS") == "type" and first_word("_") == ""
    assert name_at(text, len(text)).listed == ("TypeMD", "TypeNS")
    assert name_at(text + "T", len(text) + 1).listed == ("TypeMD", "TypeNS")  # typing one
    assert name_at(text + "x = ", len(text) + 4).listed == ()  # the line says something


def test_the_next_name_alphabetically_or_as_declared_comes_first() -> None:
    family = refs("TypeNone", "TypeA", "TypeNS", "TypeMD", "TypeCNAME", "TypeSOA")
    # After TypeA, TypeMD written: sorted A, CNAME, NS, None, SOA; declared None, A, NS,
    # CNAME, SOA (None before it: last). Each name keeps its nearer place.
    ranks = successors(("TypeA",), family, lambda name: name == "TypeMD")
    assert ranks == {"TypeCNAME": 1, "TypeNS": 1, "TypeNone": 3, "TypeSOA": 3}
    assert successors(("Other",), family, lambda name: False) == {}


def test_a_blank_line_in_a_table_gets_the_next_names_first(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "types.go", TYPES)
    write(root, "table.go", TABLE + "\t}\n")
    text = TABLE + "\t\n\t}\n"
    offset = len(TABLE) + 1
    names = hint_names(root, "table.go", text, offset)
    # After TypeCNAME (TypeA is written above): TypeMD sorted, TypeSOA as declared.
    assert set(names[:2]) == {"TypeMD", "TypeSOA"}
    assert "TypeA" not in names[:4] and "TypeCNAME" not in names


def test_the_comment_right_above_says_what_the_line_does(tmp_path: Path) -> None:
    """goldmark's `// if code block line starts with a tab, keep a tab as it is` two lines
    above `preserveLeadingTabInCodeBlock(`: its words pick the name out of the package's."""
    text = "x := 1\n\n\t// keep a tab\n\t// as it is\n\tif p != 0 {\n\t\t"
    assert comment_above(text, len(text) - 2) == "// as it is\n// keep a tab"
    assert comment_above("\t// far\n\n\tx := 1\n\t", 18) == ""  # a blank line ends it
    helpers = "package parser\n\n" + "".join(
        f"func {name}(s *Segment) {{}}\n"
        for name in ("trimLeftSpace", "preserveLeadingTabInCodeBlock", "indentWidth", "isBlank")
    )
    body = (
        "package parser\n\nfunc open(s *Segment, padding int) {\n"
        "\t// if code block line starts with a tab, keep a tab as it is\n"
        "\tif padding != 0 {\n\t\t"
    )
    root = tmp_path / "ws"
    write(root, "util.go", helpers)
    write(root, "fcode.go", body + "\n\t}\n}\n")
    names = hint_names(root, "fcode.go", body + "\n\t}\n}\n", len(body))
    assert names[0] == "preserveLeadingTabInCodeBlock"


def test_a_line_too_long_to_read_ends_the_lines_above() -> None:
    """pflag's 190-character `case *intValue, ...` line: read from its last 160 characters, its
    start was taken for the file's, and the whole file above counted as a comment."""
    text = (
        "// Copyright\npackage x\n\nfunc f() {\n\tcase " + "a, " * 80 + "b:\n\t\treturn 0\n\tcase "
    )
    start = text.rfind("\n") + 1
    assert comment_above(text, start) == ""


def test_a_line_written_as_the_ones_above_so_far_goes_on_at_their_names() -> None:
    """tcell's `t.prepareKey(` under `t.prepareKey(KeyF24, ti.KeyF24)`: the name those lines
    have at the cursor's place, nearest first; literals and spaces aside (`'0': ` under
    `'.': RuneDArrow,`); a line written otherwise ends them."""
    keys = "\tt.prepareKey(KeyF23, ti.KeyF23)\n\tt.prepareKey(KeyF24, ti.KeyF24)\n"
    line = "\tt.prepareKey("
    assert listed_above(keys + line, len(keys), line) == ("KeyF24", "KeyF23")
    assert listed_above(keys + "\tt.other(", len(keys), "\tt.other(") == ()
    assert listed_above(keys + "\tt.prepare", len(keys), "\tt.prepare") == ()  # mid-word
    runes = "\t'-':  RuneUArrow,\n\t'.': RuneDArrow,\n"
    assert listed_above(runes + "\t'0': ", len(runes), "\t'0': ") == ("RuneDArrow", "RuneUArrow")
    assert name_at(keys + line, len(keys + line)).listed == ("KeyF24", "KeyF23")


def test_a_table_of_keys_gets_the_next_key(tmp_path: Path) -> None:
    keys = "package tcell\n\nconst (\n" + "".join(f"\tKeyF{n}\n" for n in range(1, 40)) + ")\n"
    done = "".join(f"\tt.prepareKey(KeyF{n}, ti.KeyF{n})\n" for n in (22, 23, 24))
    body = "package tcell\n\nfunc (t *tScreen) prepareKeys() {\n" + done + "\tt.prepareKey("
    root = tmp_path / "ws"
    write(root, "key.go", keys)
    write(root, "tscreen.go", body + ")\n}\n")
    names = hint_names(root, "tscreen.go", body + ")\n}\n", len(body))
    assert names[0] == "KeyF25"


def test_a_list_of_imported_names_goes_on_in_their_order(tmp_path: Path) -> None:
    """astroid's `ALL_NODE_CLASSES = (` tuple of the names nodes/__init__.py imports: after
    `FunctionDef,` comes `GeneratorExp` (alphabetical here, and as imported), though it shares
    no first word with it and is declared in another file."""
    classes = ("Assign", "ClassDef", "Compare", "FunctionDef", "GeneratorExp", "Keyword")
    where = {name: "scoped.py" if name.endswith(("Def", "Exp")) else "node.py" for name in classes}
    for rel in ("node.py", "scoped.py"):
        mine = [name for name in classes if where[name] == rel]
        write(tmp_path, f"nodes/{rel}", "".join(f"class {name}:\n    pass\n\n" for name in mine))
    head = "".join(
        f"from nodes.{where[name][:-3]} import {name}\n" for name in sorted(classes, key=where.get)
    )
    body = head + "\nALL = (\n    Assign,\n    ClassDef,\n    Compare,\n    FunctionDef,\n    "
    text = body + "\n)\n"
    write(tmp_path, "nodes/__init__.py", text)
    names = hint_names(tmp_path, "nodes/__init__.py", text, len(body))
    assert names[0] == "GeneratorExp"
