"""What the cursor's line expects of a member (retrieve/expected.py), and the receiver hint
listing the members that give it first: pure functions on written lines and signatures, then
the hint on real indexes of real files in Go, Rust, Python and TypeScript."""

from __future__ import annotations

from pathlib import Path

import pytest
from ctx_helpers import hint_after, write

from coderd.context.index.extract import Definition
from coderd.context.retrieve.expected import Expected, expected_at, fit, named_like, result_of


@pytest.mark.parametrize(
    ("before", "kind", "arity"),
    [
        ("\t", "statement", 1),
        ("    defer ", "statement", 1),
        ("    if !", "condition", 1),
        ("    if (!", "condition", 1),
        ("        && ", "condition", 1),
        ("    if error is not None and ", "condition", 1),
        ("    .filter(|a| ", "condition", 1),
        ("    if let Some(span) = ", "option", 1),
        ("    return ", "value", 1),
        ("    let x: Ix = ", "value", 1),
        ("    const y = await ", "value", 1),
        ("    let (nodes, edges) = ", "value", 2),
        ("\tsubCmd, _, err := ", "value", 3),
        ("\tif v, ok := ", "value", 2),
        ("    for k, v in ", "value", 1),  # a loop takes a value, whatever its variables
        ("\tfor _, b := range ", "value", 1),
    ],
)
def test_what_the_line_before_the_receiver_expects(before: str, kind: str, arity: int) -> None:
    expected = expected_at(before)
    assert expected is not None and (expected.kind, expected.arity) == (kind, arity)


@pytest.mark.parametrize("before", ["    foo(", "    if a != ", "    x == "])
def test_lines_that_say_nothing(before: str) -> None:
    assert expected_at(before) is None


@pytest.mark.parametrize(
    ("language", "signature", "result"),
    [
        ("go", "func (c *Command) Find(args []string) (*Command, []string, error)", "tuple:3"),
        ("go", "func (c *Context) Abort()", "unit"),
        ("go", "func (c *Command) HasParent() bool", "bool"),
        ("go", "func (c *Command) Root() *Command", "value"),
        (
            "go",
            "func (f *F) get(conv func(string) (interface{}, error)) (interface{}, error)",
            "tuple:2",
        ),
        ("rust", "pub fn get_version(&self) -> Option<&str>", "option"),
        ("rust", "pub fn arg(mut self, a: impl Into<Arg>) -> Self where A: B", "value"),
        ("rust", "pub fn set_implicit(&mut self, implicit: bool)", "unit"),
        ("rust", "pub fn into_nodes_edges(self) -> (Vec<N>, Vec<E>)", "tuple:2"),
        ("python", "def is_fixed(self) -> bool:", "bool"),
        (
            "python",
            "def do_teardown(\n    self,\n    exc: BaseException | None = None,\n) -> None:",
            "unit",
        ),
        ("python", "def source(self, name: str) -> t.Optional[Source]:", "option"),
        ("python", "def get_cases(self, skip_ws=False):", ""),
        ("python", "def is_bare(self):", "bool"),  # the name says it
        ("javascript", "hasFocus() {", "bool"),
        ("python", "def issue(self):", ""),
        ("typescript", "public get isDestroyed(): boolean", "bool"),
        ("typescript", "public destroy(): void", "unit"),
        ("typescript", "public captureTransaction(fn: Function)", ""),
    ],
)
def test_a_members_declared_result(language: str, signature: str, result: str) -> None:
    name = signature.split("(")[0].split()[-1]
    if language == "go":
        name = signature.split(")")[1].split("(")[0].strip()
    definition = Definition(name, "method", signature, "", 1, 2)
    assert result_of(definition, language) == result


@pytest.mark.parametrize(
    ("before", "member", "named"),
    [
        ("    let groups = ", "get_groups", True),
        ("    identifiers = list(", "get_identifiers", True),
        ("\tvalue := ", "getValue", True),
        ("    let first_segment = ", "path_segments", True),
        ("    let required = ", "get_groups", False),
        ("\tx, err := ", "Error", False),  # `err` names no value
        ("    for long_flag in ", "get_long_flags", True),  # a loop's variable too
        ("\tfor objPartInfo := range ", "ListPartInfos", True),
        ("    for (const route of ", "flatRoutes", True),
    ],
)
def test_a_member_named_like_what_the_line_assigns(before: str, member: str, named: bool) -> None:
    expected = expected_at(before)
    definition = Definition(member, "method", f"fn {member}(&self)", "", 1, 2)
    assert expected is not None and named_like(definition, expected, "rust") is named


@pytest.mark.parametrize(
    ("before", "signature", "language", "named"),
    [
        ("    job = ", "def enqueue_call(self, func) -> 'Job':", "python", True),
        ("    jobs = ", "def fetch_many(self, ids) -> List['Job']:", "python", True),
        ("    job = ", "def enqueue_call(self, func):", "python", False),
        ("	client, err := ", "func New(endpoint string) (*Client, error)", "go", True),
        ("	x, err := ", "func New(endpoint string) (*Client, error)", "go", False),
        ("    const store = ", "createStore(options: Options): Store", "typescript", True),
    ],
)
def test_a_member_whose_result_is_named_like_what_the_line_assigns(
    before: str, signature: str, language: str, named: bool
) -> None:
    """`job = queue.` goes on with a method that returns a Job, whatever its name."""
    expected = expected_at(before)
    name = signature.replace("func ", "").replace("def ", "").split("(")[0].strip()
    definition = Definition(name, "method", signature, "", 1, 2)
    assert expected is not None and named_like(definition, expected, language) is named


def test_fit() -> None:
    condition, statement = Expected("condition"), Expected("statement")
    assert fit("bool", condition, "rust") == 1
    assert fit("unit", condition, "rust") == -1
    assert fit("unit", statement, "go") == 1
    assert fit("unit", statement, "rust") == 1
    tail = expected_at("    ", "}")
    assert tail == Expected("statement", last=True)
    assert fit("unit", tail, "rust") == 0  # a Rust block's last line is its value
    assert fit("unit", tail, "go") == 1
    assert fit("tuple:3", Expected("value", 3), "go") == 1
    assert fit("tuple:2", Expected("value", 1), "go") == -1  # `x := c.` takes one result
    assert fit("value", Expected("value", 2), "rust") == -1
    assert fit("", condition, "python") == 0


GO_TYPES = """package app

type Command struct {
\tName string
}

func (c *Command) AddCommand(cmds ...*Command) {
}

func (c *Command) Flags() []string {
\treturn nil
}

func (c *Command) Find(args []string) (*Command, []string, error) {
\treturn c, args, nil
}

func (c *Command) HasParent() bool {
\treturn false
}
"""
# Other files call AddCommand and Flags most: popularity alone lists them first.
GO_USERS = "package app\n\nfunc setup(c *Command) {\n\tc.AddCommand(c)\n\tc.Flags()\n}\n"
GO_MAIN = "package app\n\nfunc run(c *Command) {\n\t{line}\n}\n"


def _first_member(root: Path, rel: str, template: str, line: str) -> str:
    """The first member the hint lists with `line` at the cursor (`{line}` in `template`)."""
    hint = hint_after(root, {rel: template.replace("{line}", line)}, rel, line)
    return hint.text.split("\n")[1].strip().lstrip("/#").strip()


def test_go_hint_lists_what_the_line_can_use_first(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "go.mod", "module example.com/app\n")
    write(root, "types.go", GO_TYPES)
    for i in range(3):
        write(root, f"users{i}.go", GO_USERS)
    write(root, "main.go", GO_MAIN)
    first = _first_member(root, "main.go", GO_MAIN, "if c.")
    assert first == "func (c *Command) HasParent() bool"
    first = _first_member(root, "main.go", GO_MAIN, "sub, rest, err := c.")
    assert first.startswith("func (c *Command) Find(")
    assert _first_member(root, "main.go", GO_MAIN, "c.").startswith("func (c *Command) AddCommand(")
    # `list := c.`: not AddCommand, which returns nothing.
    assert _first_member(root, "main.go", GO_MAIN, "list := c.").startswith(
        "func (c *Command) Flags("
    )


RUST_ARG = """pub struct Arg {
    id: u32,
}

impl Arg {
    pub fn long(mut self, name: &str) -> Self {
        self
    }

    pub fn short(mut self, c: char) -> Self {
        self
    }

    pub fn get_long(&self) -> Option<&str> {
        None
    }

    pub fn is_positional(&self) -> bool {
        false
    }
}
"""
RUST_USERS = "use crate::arg::Arg;\n\nfn build(a: Arg) -> Arg {\n    a.long(\"x\").short('x')\n}\n"
RUST_MAIN = "use crate::arg::Arg;\n\nfn check(arg: &Arg) {\n    {line}\n}\n"


def test_rust_predicates_in_a_condition_options_in_if_let(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "src/arg.rs", RUST_ARG)
    for i in range(3):
        write(root, f"src/user{i}.rs", RUST_USERS)
    write(root, "src/main.rs", RUST_MAIN)
    first = _first_member(root, "src/main.rs", RUST_MAIN, "if !arg.")
    assert first == "pub fn is_positional(&self) -> bool"
    first = _first_member(root, "src/main.rs", RUST_MAIN, "if let Some(long) = arg.")
    assert first == "pub fn get_long(&self) -> Option<&str>"
    # `let positional = arg.`: named like is_positional, ahead of the other values.
    first = _first_member(root, "src/main.rs", RUST_MAIN, "let positional = arg.")
    assert first == "pub fn is_positional(&self) -> bool"


PY_APP = """class App:
    def route(self, path: str) -> "App":
        return self

    def should_ignore_error(self, error: BaseException | None) -> bool:
        return False

    def do_teardown(self) -> None:
        pass
"""
PY_USERS = (
    "from app import App\n\n\ndef make(app: App) -> App:\n    return app.route('/').route('/x')\n"
)
PY_MAIN = "from app import App\n\n\ndef handle(app: App, error) -> None:\n    {line}\n"


def test_python_and_typescript_by_their_annotations(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "app.py", PY_APP)
    for i in range(3):
        write(root, f"user{i}.py", PY_USERS)
    write(root, "main.py", PY_MAIN)
    first = _first_member(root, "main.py", PY_MAIN, "if error is not None and app.")
    assert first == "def should_ignore_error(self, error: BaseException | None) -> bool:"
    assert _first_member(root, "main.py", PY_MAIN, "app.") == "def do_teardown(self) -> None:"
    ts = "export class Editor {\n  public setContent(c: string): this {\n    return this\n  }\n\n  public get isDestroyed(): boolean {\n    return false\n  }\n}\n"
    write(root, "src/Editor.ts", ts)
    for i in range(3):
        write(
            root,
            f"src/use{i}.ts",
            "import { Editor } from './Editor'\n\nexport const f = (e: Editor) => e.setContent('x').setContent('y')\n",
        )
    main = (
        "import { Editor } from './Editor'\n\nexport function blur(editor: Editor) {\n  {line}\n}\n"
    )
    write(root, "src/blur.ts", main)
    assert (
        _first_member(root, "src/blur.ts", main, "if (!editor.")
        == "public get isDestroyed(): boolean"
    )


def _module_workspace(
    tmp_path: Path, module: str, source: str, used: str, body: str
) -> tuple[Path, str]:
    """pkg/`module`.py holding `source`, three files using `used` through it (its popular
    names), and pkg/main.py importing it, `body` below: the root and main.py's text."""
    root = tmp_path / "ws"
    write(root, "pkg/__init__.py", "")
    write(root, f"pkg/{module}.py", source)
    for i in range(3):
        write(root, f"pkg/user{i}.py", f"from . import {module}\n\nx = {used}\n")
    main = f"from . import {module}\n\n\n" + body
    write(root, "pkg/main.py", main)
    return root, main


def test_a_module_s_types_first_where_the_line_names_a_type(tmp_path: Path) -> None:
    """jinja2's `except nodes.Impossible`, pyparsing's `isinstance(element, pyparsing.Opt)`:
    after `isinstance(x, mod.` or `except mod.` a class, whatever the module's constants'
    popularity."""
    nodes = "DEFAULT = 1\nLIMIT = 2\n\n\nclass Impossible(Exception):\n    pass\n"
    body = "def run():\n    try:\n        pass\n    {line}\n"
    root, main = _module_workspace(tmp_path, "nodes", nodes, "nodes.DEFAULT + nodes.LIMIT", body)
    assert (
        _first_member(root, "pkg/main.py", main, "except nodes.") == "class Impossible(Exception):"
    )
    first = _first_member(root, "pkg/main.py", main, "if isinstance(x, nodes.")
    assert first == "class Impossible(Exception):"
    assert _first_member(root, "pkg/main.py", main, "y = nodes.").startswith("DEFAULT")


def test_a_module_s_predicates_first_in_a_condition(tmp_path: Path) -> None:
    """pydash's `if pyd.is_iterable(...)`: after `if mod.` a function whose name asks a
    question (`is_`, `has_`), unannotated as most of pydash's are."""
    helpers = "def merge(a, b):\n    return a\n\n\ndef is_empty(value):\n    return not value\n"
    body = "def run(value):\n    {line}\n"
    root, main = _module_workspace(tmp_path, "helpers", helpers, "helpers.merge(1, 2)", body)
    assert _first_member(root, "pkg/main.py", main, "y = helpers.").startswith("def merge")
    assert _first_member(root, "pkg/main.py", main, "if helpers.").startswith("def is_empty")


def test_members_sharing_words_with_the_line_before_the_receiver_come_first(
    tmp_path: Path,
) -> None:
    """@effect/platform's `setHeader(request, "cookie", Cookies.` goes on with
    `toCookieHeader` (`header`), effect/schema's `const base = AST.` with `getParameterBase`: among
    members the line expects as much, those sharing its words first, for a module's names as
    for a type's."""
    root = tmp_path / "ws"
    cookies = (
        "export const empty = 1\n\nexport const toCookieHeader = (c: string): string => c\n\n"
        "export const getParameterBase = (p: string): string => p\n"
    )
    write(root, "src/Cookies.ts", cookies)
    for i in range(3):
        write(
            root,
            f"src/use{i}.ts",
            "import * as Cookies from './Cookies'\n\nexport const f = () => Cookies.empty\n",
        )
    main = "import * as Cookies from './Cookies'\n\nexport function send(request) {\n  {line}\n}\n"
    write(root, "src/send.ts", main)
    assert _first_member(root, "src/send.ts", main, "Cookies.") == "export const empty = 1"
    first = _first_member(root, "src/send.ts", main, 'setHeader(request, "cookie", Cookies.')
    assert first.startswith("export const toCookieHeader")
    first = _first_member(root, "src/send.ts", main, "const base = Cookies.")
    assert first.startswith("export const getParameterBase")
