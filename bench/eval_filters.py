"""Filters that keep the context evaluation's samples honest (eval_samples.py): a sample must
be a real use of the symbol (not a keyword argument's name, an object key or an import), and a
`method` sample's gold must be the only thing `obj.name` can mean (not an attribute of the same
name, not a method of a trait from another crate)."""

from __future__ import annotations

import re

from eval_rust import enclosing_impl, foreign_trait_method

from coderd.context.index.workspace import DefinitionRef

IDENTIFIER_NODES = {
    "identifier",
    "property_identifier",
    "field_identifier",
    "type_identifier",
    "package_identifier",
    "shorthand_property_identifier",
}

# Where a name is not a use of the symbol: keyword argument names, object keys, imports.
NOT_A_USE_PARENTS = {
    "keyword_argument",
    "pair",
    "keyed_element",
    "field_initializer",
    "shorthand_field_initializer",
    "named_argument",
}
IMPORT_NODES = {
    "import_statement",
    "import_from_statement",
    "future_import_statement",
    "import_declaration",
    "import_spec",
    "use_declaration",
    "mod_item",
}


def is_use_at(tree, line: str, row: int, column: int, name: str) -> bool:
    """The name at (row, column) is an identifier in code, used as itself."""
    start = len(line[:column].encode("utf-8"))  # tree-sitter columns are bytes
    node = tree.root_node.named_descendant_for_point_range(
        (row, start), (row, start + len(name.encode()))
    )
    if node is None or node.type not in IDENTIFIER_NODES:
        return False
    parent = node.parent
    if (
        parent is not None
        and parent.type in NOT_A_USE_PARENTS
        and parent.named_children
        and parent.named_children[0] == node
    ):
        return False
    while parent is not None:
        if parent.type in IMPORT_NODES or (
            parent.type == "export_statement" and parent.child_by_field_name("source") is not None
        ):
            return False
        parent = parent.parent
    return True


# Method names of the DOM's nodes, events and fetch and of the ES built-ins: `tr.doc.resolve(pos)`
# on a ProseMirror node, `signal.addEventListener(...)`, `$pos.before(depth)` almost never call
# the package's only method of that name, which a `method` sample would take as the gold
# (eval_samples.classify): tiptap-core had 31 such samples of 38, all of them calls on
# ProseMirror's or the DOM's objects. Python's are the builtins' (eval_samples.BUILTIN_METHODS).
# Rust and Go have no such list: their projects define `with_capacity`, `Header` or `enumerate`
# on their own types as often; `self` in an impl for another crate's type is told apart
# instead (Project.foreign_self).
STD_METHODS = {
    "typescript": frozenset(
        "addEventListener removeEventListener dispatchEvent abort text json arrayBuffer blob "
        "formData querySelector querySelectorAll getElementById getAttribute setAttribute "
        "removeAttribute hasAttribute appendChild removeChild insertBefore replaceChild "
        "closest matches focus blur before after append prepend replaceWith remove "
        "textContent innerHTML resolve reject race allSettled preventDefault "
        "stopPropagation toLowerCase toUpperCase trim startsWith endsWith padStart padEnd "
        "charAt charCodeAt substring replace match test exec getTime toISOString".split()
    ),
}
STD_METHODS["javascript"] = STD_METHODS["tsx"] = STD_METHODS["typescript"]

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_ASSIGNED_ATTRIBUTE = re.compile(rf"\.({_NAME})\s*(=[^=]|:[^:=])")  # self.x = / this.x: / obj.x =
_FIELD_DECLARATIONS = {
    ".py": rf"^\s*({_NAME})\s*:\s*[^=\s]",  # annotated class attributes (dataclass fields)
    ".go": rf"^\s*({_NAME})\s+[\[\]*.\w]+\s*(`.*`)?\s*$",  # struct fields `name Type`
    ".rs": rf"^\s*(?:pub(?:\([^)]*\))?\s+)?({_NAME})\s*:\s*[^:]",
    ".ts": rf"^\s*(?:(?:readonly|private|public|protected|static|declare)\s+)*({_NAME})[?!]?\s*[:=][^:=]",
}


def attribute_names(texts: dict[str, str]) -> set[str]:
    """Names declared or assigned as attributes or fields anywhere in the package: `obj.name`
    with such a name may be that attribute, not the method of the same name."""
    found: set[str] = set()
    for path, text in texts.items():
        found.update(m.group(1) for m in _ASSIGNED_ATTRIBUTE.finditer(text))
        pattern = _FIELD_DECLARATIONS.get(path[path.rfind(".") :])
        if pattern:
            found.update(m.group(1) for m in re.finditer(pattern, text, re.M))
    return found


SOURCE_LINES: dict[str, list[str]] = {}


def external_trait_impl(ref: DefinitionRef, top: dict) -> bool:
    """A Rust method implementing a trait from another crate (`impl Visitor for X`): a call
    `v.visit_str()` on it names the trait's method, which has no single definition here."""
    if not ref.path.endswith(".rs"):
        return False
    traits = {n for n, refs in top.items() if any(r.definition.kind == "trait" for r in refs)}
    lines = SOURCE_LINES.get(ref.path, [])
    return foreign_trait_method(lines, ref.definition.start_line - 1, traits)


def field_access(line: str, column: int, name: str, language: str) -> bool:
    """Go and Rust: `obj.name` not called is a field, never a method of that name (echo's
    `req.Header.Get(...)` reads net/http's `Request.Header`, not echo's `Response.Header()`).
    A Rust method cannot be named without a call; a Go method value can (`HandleFunc(s.serve)`),
    but has no fields, no index and takes no assignment, so only those uses count as fields."""
    if language not in ("go", "rust") or line[column - 1 : column] != ".":
        return False
    rest = line[column + len(name) :].lstrip()
    if language == "rust":
        return not rest.startswith(("(", "::"))  # `::<T>(`: a turbofish call
    return rest[:1] in (".", "[") or (rest[:1] == "=" and rest[:2] != "==")


# A `method` sample must name a project definition that `obj.name` resolves to: the gold is
# the package's only method of that name, but `self.ch.take()` on an `Option<u8>` field,
# `Vec::with_capacity`, `t.Execute` on a `text/template` value or `signal.addEventListener`
# on an `AbortSignal` name a standard-library or DOM method, which no context can show. The
# receiver's type is read from the file's own text, without coderd's inference (what is
# measured): a type path (`Vec::`, `u64::`, `Object.`), an annotation (`ch: Option<u8>`,
# `signal: AbortSignal`, Go's `(t *template.Template`) or an assignment from a call
# (`t := template.New(`, `let v = Vec::new(`); for a call chain, of its first name (regex's
# `RegexBuilder::new(re).build()`, a macro's type). The sample goes only when every declaration
# found names no project definition; a receiver whose type is not written (or is a generic
# `F`) keeps its sample.
PRIMITIVES = frozenset(
    "int str float bool bytes complex string number boolean bigint symbol any unknown object "
    "char usize isize u8 u16 u32 u64 u128 i8 i16 i32 i64 i128 f32 f64 byte rune error "
    "uint uint8 uint16 uint32 uint64 int8 int16 int32 int64 float32 float64".split()
)
VALUES = frozenset({"None", "Some", "Ok", "Err", "true", "false", "null", "undefined"})
_WORD = re.compile(_NAME)


def _annotations(name: str, language: str) -> re.Pattern:
    """`name: Type` (Python, TypeScript, Rust; not `obj.name:` or `"name":`), Go's `var name
    T`, `(name *T`, `, name T`. A value after the colon (a struct literal's `ch: f(x)`) is no
    type: a call or an operator ends the match short of a type's end."""
    if language == "go":
        return re.compile(rf"(?:\(|,|\bvar)\s*{name}\s+([*\[\]]*[A-Za-z_][\w.]*)(?=\s*[,)=\n{{])")
    return re.compile(
        rf"(?<![\w.\"'])\b{name}\s*\??\s*:(?!:)\s*(&?\s*(?:mut\s+)?[A-Za-z_][\w:<>\[\], .&'|\"]*?)"
        rf"\s*(?=[=,;)\n{{]|$)"
    )


def _assignments(name: str, field: bool) -> re.Pattern:
    """`name = Path(`, `name := pkg.F(`, `t, err := pkg.F(`, `let mut v = Vec::new(`, `new X(`;
    `field`: only `self.name = ...` / `this.name = ...` (else only a name not after a dot)."""
    owner = r"\b(?:self|this)\s*\.\s*" if field else r"(?<![\w.])"
    return re.compile(
        rf"{owner}{name}\s*(?:,\s*\w+\s*)?(?::=|=(?!=))\s*(?:new\s+|&)?"
        rf"([A-Za-z_]\w*(?:(?:\.|::)[A-Za-z_]\w*)*)\s*[({{]"
    )


class Project:
    """What a sample's receiver may resolve to: the package's definition names (any kind) and
    the folders and file stems its modules can be."""

    def __init__(self, files: dict) -> None:
        self.names = {d.name for s in files.values() for d in s.definitions} - PRIMITIVES
        self.parts = {p for path in files for p in path.rsplit(".", 1)[0].split("/")}
        self.traits = {d.name for s in files.values() for d in s.definitions if d.kind == "trait"}

    def ours(self, word: str, local: set[str]) -> bool:
        return word in self.names or (word in local and word not in PRIMITIVES)

    def external(self, word: str, local: set[str], modules: dict[str, str]) -> bool:
        """`word` surely names something outside the project: an imported module that is no
        folder or file of it, a capitalised name or a primitive defined nowhere in it."""
        if word in modules:
            return modules[word] not in self.parts
        if self.ours(word, local):
            return False
        return word[:1].isupper() or word in PRIMITIVES

    def foreign_receiver(
        self, line, column, base, text, language, local, modules, container="", row=-1
    ) -> bool:
        """Whether `base` in `base.name` / `base::name` is, by the file's code (`text`: its
        comments and docstrings blanked), a value or a type from outside the project (the
        sample's name is then not the project's). `row`: the sample's, for Rust's `self`."""
        if language == "rust" and base == "self" and row >= 0:
            return self.foreign_self(text.split("\n"), row)
        if base == "?":  # `FQDN(x).is_valid`: a call on a foreign value returns a foreign one
            base = chain_root(line[:column]) or "?"
        if base == "?" or base in ("self", "this", "Self", "super", "crate") or _generic(base):
            return False
        if language == "rust" and container in self.traits:
            return False  # a project trait's method, implemented for `u64` or `Vec` too
        if line[:column].endswith("::") or base[:1].isupper() or base in PRIMITIVES:
            if base not in modules:  # a type path: `Vec::new`, `u64::MAX`, `Object.keys`
                return self.external(base, local, modules)
        verdicts = []
        for match in _annotations(re.escape(base), language).finditer(text):
            words = [w for w in _WORD.findall(match.group(1)) if w not in ("mut", "dyn")]
            if not words or words[0] in VALUES:
                continue  # a struct literal's value, not a declaration
            if _generic(words[0]):
                verdicts.append(False)  # a type parameter: its bound is not read here
            elif words[0] in modules:  # `*template.Template`, `t.Optional["Context"]`
                others = words[1:] if language != "go" else []  # Go: the module says whose
                verdicts.append(
                    self.external(words[0], local, modules)
                    and not any(self.ours(w, local) for w in others)
                )
            elif words[0][:1].isupper() or words[0] in PRIMITIVES:
                verdicts.append(not any(self.ours(w, local) for w in words))
        field = re.search(rf"\b(?:self|this)\s*\.\s*{re.escape(base)}\s*\??\.$", line[:column])
        for match in _assignments(re.escape(base), bool(field)).finditer(text):
            first = _WORD.match(match.group(1)).group()
            verdicts.append(self.external(first, local, modules))
        return bool(verdicts) and all(verdicts)

    def foreign_self(self, lines: list[str], row: int) -> bool:
        """`self` at `row` is in an impl for another crate's type: bytes' `unsafe impl
        BufMut for Vec<u8>` calls Vec's `self.reserve(64)`, not BytesMut's."""
        found = enclosing_impl(lines, row)
        return found is not None and not _generic(found[1]) and found[1] not in self.names


def chain_root(before: str) -> str:
    """The first name of the chain of calls, fields and indexes that `before` ends with:
    `rctx, _ := r.Context().` -> r, `Vec::with_capacity(n).` -> Vec ("" for `(a + b).`)."""
    i, depth = len(before), 0
    while i > 0:
        char = before[i - 1]
        if char in ")]":
            depth += 1
        elif char in "([":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and not (char.isalnum() or char in "_.:?$"):
            break
        i -= 1
    root = _WORD.match(before[i:])
    return root.group() if root else ""


def _generic(word: str) -> bool:
    """`F`, `T`: a type parameter, whose bound (maybe the project's trait) is not read here."""
    return len(word) == 1 and word.isupper()


def module_variables(files) -> dict[str, set[str]]:
    """Top-level variables by name -> the stems of the files that assign them (`Comment =
    Token.Comment` in pygments' token.py): definitions no sample's gold is."""
    found: dict[str, set[str]] = {}
    for path, symbols in files.items():
        stem = path.rsplit("/", 1)[-1].split(".")[0]
        for d in symbols.definitions:
            if d.kind == "variable" and not d.container:
                found.setdefault(d.name, set()).add(stem)
    return found


def imported_variable(symbols, name: str, gold: DefinitionRef, variables: dict) -> bool:
    """Whether the file imports `name` from a module that assigns it itself: pygments' lexers
    `from pygments.token import Comment` meant token.py's variable, not robotframework.py's
    class of the same name, the one definition a gold could be."""
    for statement in symbols.imports:
        renamed = dict(statement.aliases)
        for imported in statement.names:
            if renamed.get(imported, imported) != name:
                continue
            module = [p for p in re.split(r"[./:]+", statement.module.strip("\"'`")) if p]
            stem = gold.path.rsplit("/", 1)[-1].split(".")[0]
            if module and module[-1] != stem and module[-1] in variables.get(imported, ()):
                return True
    return False
