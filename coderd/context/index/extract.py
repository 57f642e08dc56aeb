"""Parse one file's bytes into the symbols the index keeps: definitions, imports, identifiers.

Pure and synchronous: no disk, no locks, no shared mutable state (parsers are per thread). What
to capture is data, in `queries/<language>.scm`; this module only interprets the capture names:

* `@definition.<kind>` the whole definition, `@name` its name, `@body` (optional) where its
  signature ends, `@container` (optional) the type a method belongs to when the syntax says so
  (Go receivers, Rust impl blocks, C++ `Foo::bar`), `@returns` (optional) a function's declared
  result type, `@base` (optional, repeatable) a class's base classes and interfaces (Go: its
  embedded fields); both as type names (typenames.py), for the type inference in infer.py;
* `@import` a whole import statement, with `@import.module`, `@import.name`, `@import.alias`
  (captures in a match without `@import` belong to the innermost import statement around them);
* `@identifier` every identifier used (those patterns are compiled as a query of their own,
  languages.identifier_query, and collected with one `captures()` call).

Lines are 1-based and inclusive, as people and the CLI print them.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, replace

import tree_sitter

from coderd.context.index.extract_imports import Import, assemble_imports
from coderd.context.index.languages import identifier_query, parser_for, ts_query
from coderd.context.index.macro_items import macro_items
from coderd.context.retrieve.typenames import declared_type, normalize_type

# When two patterns match the same node and name, the more specific kind wins (a function in
# a class body is a method; `const f = () => 1` is a function, not a variable).
_KIND_RANK = {"method": 0, "function": 2, "constant": 3, "variable": 4}
_DEFAULT_RANK = 1  # class, struct, interface, enum, trait, type, module, macro
# Kinds whose definitions give methods inside them their container name.
_CONTAINER_KINDS = frozenset({"class", "struct", "interface", "enum", "trait", "module"})
# Definitions inside a function body are local: no other file can use them.
_LOCAL_SCOPE_KINDS = frozenset({"function", "method"})
# Nodes that wrap a definition without being one; the definition's lines, signature and
# preceding comment start at the wrapper (decorators, `export`, `template <...>`).
_WRAPPERS = frozenset(
    {"decorated_definition", "export_statement", "ambient_declaration", "template_declaration"}
)
# Declarations that wrap a definition only when they hold exactly one (`type X struct{}` in Go,
# but not the group `const ( A = 1; B = 2 )`).
_SINGLE_WRAPPERS = frozenset(
    {
        "type_declaration",
        "const_declaration",
        "var_declaration",
        "lexical_declaration",
        "variable_declaration",
    }
)
_COMMENT_TYPES = frozenset({"comment", "line_comment", "block_comment"})
_MAX_SIGNATURE_LINES = 8
_MAX_SIGNATURE_CHARS = 400
_MAX_DOC_CHARS = 160
_ALL_CAPS = re.compile(
    r"^_*[A-Z][A-Z0-9_]+$"
)  # two characters at least: Go's `var V int` is not one
# `block.parse(`, `c.respond (`: a member called on a name (`a.b.c(` gives `b`, its nearest
# name). Bytes: run on the source as parsed, before any decoding. The `\b` starts it at words
# only: 6 % of extract()'s time on 4 MB of sources, against 20 % without it.
_MEMBER_CALL = re.compile(rb"\b([A-Za-z_]\w*)\s*\.\s*([A-Za-z_]\w*)\s*\(")
_COMMENT_LINE = re.compile(r"^\s*(#|//|/\*)")
_COMMENT_MARKERS = re.compile(r"^\s*(?:/\*+!?|\*+/?|//[/!]?|#+|--)\s?")


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    kind: str  # function, method, class, struct, interface, enum, trait, type, module, macro, constant,
    # variable; impl (Rust `impl Trait for Type`: name the trait, container the type)
    signature: str  # the header as written (decorators included), never the body
    doc: str  # first line of the docstring or of the comment just above; "" when none
    start_line: int  # 1-based, inclusive
    end_line: int  # 1-based, inclusive
    container: str = ""  # class/impl/receiver type of a method; "" at top level
    # declared result type (typenames.declared_type: "[]Name" for a sequence of Name); "" when
    # none or unknown
    returns: str = ""
    bases: tuple[str, ...] = ()  # base classes / interfaces / embedded types, normalised


@dataclass(frozen=True, slots=True)
class FileSymbols:
    path: str  # relative to the workspace root, "/"-separated
    language: str
    definitions: tuple[Definition, ...]
    imports: tuple[Import, ...]
    identifiers: frozenset[str]
    size: int  # bytes parsed
    # "receiver.member" for each `receiver.member(` the file writes (the receiver's last name:
    # `self.expr.parse(` gives "expr.parse"): what code calls on a name (receiver_calls.py).
    calls: frozenset[str] = frozenset()


def extract(source: bytes, language: str, path: str = "") -> FileSymbols:
    """The symbols of `source` parsed as `language` (a name from languages.LANGUAGES)."""
    return extract_with_tree(source, language, path)[0]


def extract_with_tree(
    source: bytes, language: str, path: str = ""
) -> tuple[FileSymbols, tree_sitter.Tree]:
    """extract(), and the syntax tree it came from (kept for open buffers: infer.py reparses
    it incrementally instead of from scratch)."""
    tree = parser_for(language).parse(source)
    definitions: dict[tuple[int, int, str], tuple[int, Definition, tree_sitter.Node]] = {}
    import_parts: list[dict[str, tree_sitter.Node]] = []
    identifiers: set[bytes] = set()
    for node in (
        tree_sitter.QueryCursor(identifier_query(language))
        .captures(tree.root_node)
        .get("identifier", ())
    ):
        identifiers.add(source[node.start_byte : node.end_byte])
    _collect(tree, language, definitions, import_parts)
    if language == "rust" and (items := macro_items(source, tree)) is not None:
        _collect(items, language, definitions, import_parts)
    return FileSymbols(
        path=path,
        language=language,
        definitions=_nest(definitions),
        imports=assemble_imports(import_parts, language),
        identifiers=frozenset(sys.intern(i.decode("utf-8", "replace")) for i in identifiers),
        size=len(source),
        calls=frozenset(
            sys.intern(f"{r.decode('utf-8', 'replace')}.{m.decode('utf-8', 'replace')}")
            for r, m in set(_MEMBER_CALL.findall(source))
        ),
    ), tree


def _collect(tree: tree_sitter.Tree, language: str, definitions: dict, import_parts: list) -> None:
    """The definitions and import statements of `tree`, into `definitions` and `import_parts`."""
    matches = tree_sitter.QueryCursor(ts_query(language)).matches(tree.root_node)
    for _, captures in matches:
        if "import" in captures or any(k.startswith("import.") for k in captures):
            import_parts.append({k: v[0] for k, v in captures.items()})
            continue
        kind = next((k[11:] for k in captures if k.startswith("definition.")), None)
        if kind is None or "name" not in captures:
            continue
        node = captures[f"definition.{kind}"][0]
        name = _text(captures["name"][0])
        if name == "_":
            continue  # Go's `var _ io.Writer = (*w)(nil)`: nothing another file can name
        container = captures.get("container", [None])[0]
        container_text = _container_name(container) if container is not None else ""
        if kind == "impl":  # Rust `impl Trait<T> for Type`: named by the trait, owned by the type
            name = normalize_type(name) or name
        elif "::" in name:  # C++ `void geo::Shape::area()`: the name is the last part
            scope, _, name = name.rpartition("::")
            container_text = scope.rpartition("::")[2]
        if kind == "variable" and _ALL_CAPS.match(name):
            kind = "constant"
        key = (node.start_byte, node.end_byte, name)
        rank = _KIND_RANK.get(kind, _DEFAULT_RANK)
        returns = declared_type(_text(captures["returns"][0])) if "returns" in captures else ""
        bases = tuple(b for b in (normalize_type(_text(n)) for n in captures.get("base", ())) if b)
        old = definitions.get(key)
        if old is not None and old[0] <= rank:
            if bases or (returns and not old[1].returns):  # one match per base: merge them
                merged = old[1].bases + tuple(b for b in bases if b not in old[1].bases)
                definitions[key] = (
                    old[0],
                    replace(old[1], bases=merged, returns=old[1].returns or returns),
                    old[2],
                )
            continue
        body = captures.get("body", [None])[0]
        definition = _definition(node, name, kind, body, container_text, language)
        if returns or bases or old is not None:
            definition = replace(
                definition,
                returns=returns or (old[1].returns if old else ""),
                bases=bases + (old[1].bases if old else ()),
            )
        definitions[key] = (rank, definition, node)


def _text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def _outer(node: tree_sitter.Node) -> tree_sitter.Node:
    """The node whose lines and leading comment belong to the definition (see _WRAPPERS)."""
    while (parent := node.parent) is not None:
        if parent.type in _WRAPPERS or (
            parent.type in _SINGLE_WRAPPERS and parent.named_child_count == 1
        ):
            node = parent
        else:
            break
    return node


def _definition(node, name, kind, body, container, language) -> Definition:
    outer = _outer(node)
    source_start = outer.start_byte
    text = outer.text or b""  # None only for a tree parsed without its source
    if body is not None and body.start_byte > source_start:
        header = text[: body.start_byte - source_start]
    else:
        header = text.split(b"\n", 1)[0]
    lines = header.decode("utf-8", "replace").rstrip().splitlines()
    while len(lines) > 1 and _COMMENT_LINE.match(lines[-1]):
        lines.pop()  # a comment that opens the body sits before the body node in some grammars
    lines = lines[:_MAX_SIGNATURE_LINES]
    signature = "\n".join(line.rstrip() for line in lines)[:_MAX_SIGNATURE_CHARS]
    end_row = node.end_point.row
    if node.end_point.column == 0 and end_row > outer.start_point.row:
        end_row -= 1  # a node that ends with its newline ends on the line before
    return Definition(
        name=sys.intern(name),
        kind=kind,
        signature=signature,
        doc=_docstring(body, language) or _leading_comment(outer),
        start_line=outer.start_point.row + 1,
        end_line=end_row + 1,
        container=sys.intern(container),
    )


def _container_name(node: tree_sitter.Node) -> str:
    """`Point` from `*Point`, `Point<T>`, `&'a Point`: the bare type name."""
    text = _text(node).split("<", 1)[0]
    return text.strip().lstrip("*&").strip()


def _docstring(body, language: str) -> str:
    """Python only: the first line of the string that opens the body."""
    if language != "python" or body is None or body.named_child_count == 0:
        return ""
    first = body.named_children[0]
    if first.type != "expression_statement" or first.named_child_count != 1:
        return ""
    string = first.named_children[0]
    if string.type != "string":
        return ""
    text = "".join(_text(part) for part in string.named_children if part.type == "string_content")
    return _summary(text)


def _leading_comment(node: tree_sitter.Node) -> str:
    """The first line of the comment block that ends on the line just above `node`."""
    comments = []
    row = node.start_point.row
    sibling = node.prev_named_sibling
    while (
        sibling is not None and sibling.type in _COMMENT_TYPES and sibling.end_point.row >= row - 1
    ):
        comments.append(sibling)
        row = sibling.start_point.row
        sibling = sibling.prev_named_sibling
    if not comments:
        return ""
    return _summary("\n".join(_text(c) for c in reversed(comments)))


def _summary(text: str) -> str:
    for line in text.splitlines():
        line = _COMMENT_MARKERS.sub("", line).strip().rstrip("*/").strip()
        if line:
            return line[:_MAX_DOC_CHARS]
    return ""


def _nest(found) -> tuple[Definition, ...]:
    """Drop definitions local to a function; give methods their enclosing type as container."""
    ordered = sorted(found.values(), key=lambda item: (item[2].start_byte, -item[2].end_byte))
    kept: list[Definition] = []
    open_scopes: list[tuple[int, Definition]] = []  # (end_byte, definition), outermost first
    for _, definition, node in ordered:
        while open_scopes and open_scopes[-1][0] <= node.start_byte:
            open_scopes.pop()
        if any(scope.kind in _LOCAL_SCOPE_KINDS for _, scope in open_scopes):
            continue
        if not definition.container:
            enclosing = next(
                (s for _, s in reversed(open_scopes) if s.kind in _CONTAINER_KINDS), None
            )
            if enclosing is not None:
                definition = _with_container(definition, enclosing)
            elif open_scopes and open_scopes[-1][1].kind == "impl" and _in_impl(definition):
                # Rust `impl Deref for X { type Target = str; }`: the type's, not a top-level
                # name of the file (as one, every `type Target`/`type Err` went into the
                # file's signature lists and imports' homonyms).
                definition = replace(definition, container=open_scopes[-1][1].container)
        kept.append(definition)
        open_scopes.append((node.end_byte, definition))
    return tuple(kept)


def _in_impl(definition: Definition) -> bool:
    """Not a struct, enum or trait: the parse puts one in an impl when a line above is typed
    (anyhow's `unsafe { ErrorImpl::` left a brace open: `struct ErrorImpl` became a member)."""
    return definition.kind not in ("struct", "enum", "trait", "module", "macro")


def _with_container(definition: Definition, container: Definition) -> Definition:
    # A function in a type is a method; in a namespace or module it stays a function.
    is_method = definition.kind == "function" and container.kind != "module"
    kind = "method" if is_method else definition.kind
    return replace(definition, kind=kind, container=container.name)
