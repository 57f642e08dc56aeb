"""A Python module's `__all__` lists names as strings: exports, not uses (index/line_edits.py
`export_rows`, retrieve/once.py `listed_exports`). pyparsing's `__init__.py` star-imports 150
names that its docstring and `__all__` name: those ranked before the one name imported under
an alias that the line at the cursor uses."""

from __future__ import annotations

from ctx_helpers import make

from coderd.context.index.line_edits import export_rows
from coderd.context.retrieve.candidates import retrieve
from coderd.context.retrieve.once import listed_exports
from coderd.context.retrieve.usage import UNUSED, usage_of

MODULE = '''"""Parsers."""
from .core import *
from .uni import unicode_set, unicode_class as unicode

__all__ = [
    "Literal",
    "Word", "Keyword",
    "unicode",
]
__all__ += ["unicode_set"]
x = Literal()
'''


def test_the_rows_and_names_of_an_export_list() -> None:
    lines = MODULE.split("\n")
    assert export_rows(lines) == {4, 5, 6, 7, 8, 9}
    exports = usage_of(MODULE, len(MODULE)).exports
    assert listed_exports(exports) == {"Literal", "Word", "Keyword", "unicode", "unicode_set"}
    assert export_rows(["__all_names = ['a']", "all = ['b']"]) == set()


def test_a_name_in_the_export_list_only_is_not_used() -> None:
    usage = usage_of(MODULE, len(MODULE))
    assert usage.of("Word") == UNUSED and usage.of("Keyword") == UNUSED
    assert usage.of("Literal") < UNUSED  # `x = Literal()`: a use


def test_star_imports_named_in_prose_and_exports_rank_after_an_explicit_import(tmp_path):
    names = [f"Parser{i:02d}" for i in range(40)]
    core = "".join(f"class {n}:\n    pass\n\n\n" for n in names)
    init = '"""Parsers: ' + ", ".join(names) + '."""\n'
    init += "from .core import *\nfrom .uni import unicode_class as unicode\n\n"
    init += "if True:\n    pyparsing_unicode = \n\n__all__ = [\n"
    init += "".join(f'    "{n}",\n' for n in names) + '    "unicode",\n]\n'
    files = {"pkg/core.py": core, "pkg/uni.py": "class unicode_class:\n    pass\n"}
    index = make(tmp_path, {**files, "pkg/__init__.py": init})
    at = init.index("pyparsing_unicode = ") + len("pyparsing_unicode = ")
    found = retrieve(index, "pkg/__init__.py", init, at, 8)
    index.close()
    imported = [c.ref.definition.name for c in found if c.source == "import"]
    assert imported == ["unicode_class"], imported
