"""An argument being typed (line_arguments.py): the parameter it fills says what it is, by
its name and type, on a real index of real Go files (client_golang's `NewDesc(` over
`BuildFQName`, tcell's `NewEventKey(` over `KeyRune`)."""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import write
from test_line_shapes import hint_names

from coderd.context.retrieve.line_arguments import _parameters, argument_at
from coderd.context.retrieve.line_names import name_at


def test_the_call_and_the_argument_the_cursor_is_in() -> None:
    def at(text: str):
        return argument_at(text, len(text))

    assert at("res = append(res, NewEventKey(") == ("NewEventKey", 0)
    assert at("x = f(a, g(b, c), ") == ("f", 2)
    assert at("\tc := &selfCollector{MustNewConstMetric(\n\t\t") == ("MustNewConstMetric", 0)
    assert at("\tdesc := NewDesc(\n\t\tname,\n\t\t") == ("NewDesc", 1)  # a line above opens it
    assert at("if (") is None and at("x = [a, ") is None and at("f(x)\n") is None
    assert at("func f() {\n\tx := ") is None  # in a block, not a call
    assert name_at("desc := NewDesc(", 16).argument == ("NewDesc", 0)


def test_a_signatures_parameters() -> None:
    go = "func NewDesc(fqName, help string, labels []string, constLabels Labels) *Desc"
    assert _parameters(go, "NewDesc") == [
        "fqName string",
        "help string",
        "labels []string",
        "constLabels Labels",
    ]
    assert _parameters("def f(self, x, y: int = 3)", "f") == ["x", "y: int = 3"]
    assert _parameters("def f(a, b)", "f") == ["a", "b"]  # no types: none borrowed
    assert _parameters("func f(a, b, c int, d string)", "f")[:3] == ["a int", "b int", "c int"]
    assert _parameters("pub fn new(&mut self, k: Key) -> Self", "new") == ["k: Key"]


METRIC = """package prometheus

func BuildFQName(namespace, subsystem, name string) string {
	return namespace + subsystem + name
}

func NewCounterVec(opts CounterOpts, labels []string) *CounterVec {
	return nil
}

func NewCounterFunc(opts CounterOpts, function func() float64) CounterFunc {
	return nil
}
"""

DESC = """package prometheus

type Desc struct{}

func NewDesc(fqName, help string, labels []string) *Desc {
	return nil
}
"""


def test_the_parameters_name_picks_the_argument(tmp_path: Path) -> None:
    """`desc := NewDesc(` in counter.go: the line says `new desc`, the first parameter
    `fqName`; BuildFQName shares its words, the `NewCounter…` functions only the line's."""
    body = "package prometheus\n\nfunc NewCounter(opts CounterOpts) Counter {\n\tdesc := NewDesc(\n\t\t"
    text = body + "\n\t)\n}\n"
    write(tmp_path, "metric.go", METRIC)
    write(tmp_path, "desc.go", DESC)
    write(tmp_path, "counter.go", text)
    names = hint_names(tmp_path, "counter.go", text, len(body))
    assert names[0] == "BuildFQName"
