"""Receivers typed where nothing is annotated at the place that defines them (typed.py with
returns.py, overrides.py, fields.assigned_fields): a function's unannotated result read off its
`return`s, an override's parameter typed by the method it overrides, a field assigned outside
the constructor. On a real index of real files."""

from __future__ import annotations

from pathlib import Path

from test_typed_reach import resolver_for, where

from coderd.context.retrieve.overrides import parameter_annotation

SOURCE = """class Char:
    def is_ws(self) -> bool:
        return True


class Source:
    def __init__(self):
        self._current = Char()

    @property
    def current(self) -> Char:
        return self._current
"""
PARSER = """from .source import Source, Char


class Token:
    def kind(self):
        pass


class Parser:
    def __init__(self, text):
        self._src = Source()

    @property
    def _current(self):
        return self._src.current

    def make(self):
        if self:
            return Token()
        return None

    def either(self):
        if self:
            return Token()
        return Char()

    def again(self):
        return self.make()

    def loop(self):
        return self.loop()

    def chained(self):
        return Source().current

    def build(self):
        self.lexer = Lexer()
"""
USE = """from .parser import Parser, Token


class Lexer:
    def tokens(self):
        pass


class Markdown:
    def __init__(self):
        self.build()

    def build(self):
        self.parser = Parser("")
        self.lexer: Lexer = make_lexer()


class Extension:
    def extend(self, md: Markdown, level=0) -> None:
        pass


class Tables(Extension):
    def extend(self, md, level=0):
        p = Parser("")
        t = p.make()
        @@
        return t
"""


def test_unannotated_results_overrides_and_fields_set_outside_the_constructor(
    tmp_path: Path,
) -> None:
    files = {"pkg/source.py": SOURCE, "pkg/parser.py": PARSER, "pkg/use.py": USE}
    index, resolver = resolver_for(tmp_path / "ws", files, "pkg/use.py", "python")
    try:
        # `return self._src.current`: through the field and the property's declared result.
        assert where(resolver.value_types("p._current")) == [("pkg/source.py", "Char")]
        # Every return says `Token()` (None aside): a Token; a method returning two different
        # things has no one type; one returning another's result has that one's.
        assert where(resolver.value_types("t")) == [("pkg/parser.py", "Token")]
        assert resolver.call_result("p.either", resolver.rel) == []
        assert where(resolver.call_result("p.again", resolver.rel)) == [("pkg/parser.py", "Token")]
        assert resolver.call_result("p.loop", resolver.rel) == []  # and it ends
        assert resolver.call_result("p.chained", resolver.rel) == []  # a call on a call's result
        # `md` is not annotated; the method it overrides says Markdown.
        assert where(resolver.value_types("md")) == [("pkg/use.py", "Markdown")]
        assert resolver.value_types("level") == []
        # Fields assigned in a method other than the constructor: by call, by annotation.
        assert where(resolver.value_types("md.parser")) == [("pkg/parser.py", "Parser")]
        assert where(resolver.value_types("md.lexer")) == [("pkg/use.py", "Lexer")]
    finally:
        index.close()


def test_a_parameters_annotation_in_a_signature() -> None:
    signature = "def extend(self, md: Markdown, *args: t.Any, level: int = 0, x=1) -> Optional[A]:"
    assert parameter_annotation(signature, "md") == "Markdown"
    assert parameter_annotation(signature, "args") == "t.Any"
    assert parameter_annotation(signature, "level") == "int"
    assert parameter_annotation(signature, "x") == ""
    assert parameter_annotation(signature, "y") is None
    assert parameter_annotation("def f(self, cb: Callable[[int], str] = (lambda: 1)):", "cb") == (
        "Callable[[int], str]"
    )


def test_a_static_methods_first_parameter_is_no_receiver(tmp_path: Path) -> None:
    """sqlparse's `@staticmethod def _process(tlist)`: `tlist` is not the class's instance."""
    filters = (
        "class Filter:\n    @staticmethod\n    def _process(tlist):\n        @@\n        pass\n\n"
        "    def process(self, stmt):\n        pass\n"
    )
    index, resolver = resolver_for(tmp_path / "ws", {"f.py": filters}, "f.py", "python")
    try:
        assert (resolver.env.receiver, resolver.env.receiver_type) == ("", "Filter")
        assert resolver.value_types("tlist") == []
    finally:
        index.close()


FLUENT = """class Query:
    def where(self, clause):
        self.clause = clause
        return self

    @classmethod
    def parse(cls, text):
        return cls(text)

    def either(self, other):
        if other:
            return other.run()
        return self
"""


def test_a_method_returning_self_or_cls_gives_its_class(tmp_path: Path) -> None:
    """`return self` in a fluent setter and `return cls(text)` in a classmethod give the
    class; a method that returns self or something else is not guessed."""
    main = "from query import Query\n\n\ndef run(q: Query):\n    a = q.where(1)\n"
    main += "    b = Query.parse('x')\n    c = q.either(None)\n    @@\n"
    files = {"query.py": FLUENT, "main.py": main}
    index, resolver = resolver_for(tmp_path / "ws", files, "main.py", "python")
    try:
        assert where(resolver.value_types("a")) == [("query.py", "Query")]
        assert where(resolver.value_types("b")) == [("query.py", "Query")]
        assert resolver.value_types("c") == []
    finally:
        index.close()
