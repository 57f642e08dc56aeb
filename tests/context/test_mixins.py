"""mixins.py: a mixin's `self` is also the classes it is mixed with (pyyaml's Composer calls
Parser's `self.get_event()` through `class Loader(Parser, Composer)`), on real files through
the real index."""

from __future__ import annotations

from pathlib import Path

from test_typed_reach import resolver_for

PARSER = """class Parser:
    def get_event(self):
        pass

    def peek_event(self):
        pass
"""
LOADER = """from .parser import Parser
from .composer import Composer
from .constructor import SafeConstructor, BaseConstructor


class BaseLoader(Parser, Composer, BaseConstructor):
    pass


class SafeLoader(Parser, Composer, SafeConstructor):
    pass
"""
CONSTRUCTOR = """class BaseConstructor:
    def construct(self):
        return self.get_single_node()


class SafeConstructor(BaseConstructor):
    def construct_yaml_map(self):
        pass
"""


def names(refs) -> list[str]:
    return [r.definition.name for r in refs]


def self_types(tmp_path: Path, composer: str) -> list[str]:
    files = {
        "yaml/parser.py": PARSER,
        "yaml/loader.py": LOADER,
        "yaml/constructor.py": CONSTRUCTOR,
        "yaml/composer.py": composer,
    }
    index, resolver = resolver_for(tmp_path, files, "yaml/composer.py", "python")
    try:
        return names(resolver.value_types("self"))
    finally:
        index.close()


def test_a_mixins_self_is_also_what_it_is_mixed_with(tmp_path: Path) -> None:
    composer = (
        "class Composer:\n    def compose(self):\n        if self.check_event():\n"
        "            return self.get_event()\n\n    def node(self):\n        @@\n"
    )
    assert self_types(tmp_path / "mixin", composer) == [
        "Composer",
        "BaseLoader",
        "Parser",
        "BaseConstructor",
        "SafeLoader",
        "SafeConstructor",
    ]


def test_a_class_calling_only_its_own_methods_is_no_mixin(tmp_path: Path) -> None:
    composer = (
        "class Composer:\n    def compose(self):\n        self.__class__()\n"
        "        return self.node()\n\n    def node(self):\n        @@\n"
    )
    assert self_types(tmp_path / "own", composer) == ["Composer"]


def test_a_class_with_a_librarys_base_is_no_mixin(tmp_path: Path) -> None:
    """`items()` may be dict's: the class's base is not the project's."""
    composer = (
        "class Composer(dict):\n    def compose(self):\n        return self.get_event()\n\n"
        "    def node(self):\n        @@\n"
    )
    assert self_types(tmp_path / "library", composer) == ["Composer"]


def test_the_class_mixing_most_in_comes_first(tmp_path: Path) -> None:
    """BaseConstructor's own subclass SafeConstructor mixes nothing in; BaseLoader does."""
    files = {
        "yaml/parser.py": PARSER,
        "yaml/loader.py": LOADER,
        "yaml/constructor.py": CONSTRUCTOR.replace("return self", "@@\n        return self"),
        "yaml/composer.py": "class Composer:\n    pass\n",
    }
    index, resolver = resolver_for(tmp_path, files, "yaml/constructor.py", "python")
    try:
        found = names(resolver.value_types("self"))
        assert found[:3] == ["BaseConstructor", "BaseLoader", "Parser"]
    finally:
        index.close()


def test_the_line_being_typed_does_not_make_a_mixin(tmp_path: Path) -> None:
    """A call typed on the cursor's line (`self.get_event(` half-written) is not read: the
    context block must not change while the user types inside a method."""
    composer = (
        "class Composer:\n    def compose(self):\n        return self.node()\n\n"
        "    def node(self):\n        return self.get_event(@@\n"
    )
    assert self_types(tmp_path / "typing", composer) == ["Composer"]
