"""Filters that keep the context evaluation's samples honest (eval_samples.py): a sample must
be a real use of the symbol (not a keyword argument's name, an object key or an import), and a
`method` sample's gold must be the only thing `obj.name` can mean (not an attribute of the same
name, not a method of a trait from another crate)."""

from __future__ import annotations

import re

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


_IMPL_FOR = re.compile(r"^\s*impl\b(?:<[^>]*>)?\s+([\w:]+)(?:<.*?>)?\s+for\s")
SOURCE_LINES: dict[str, list[str]] = {}


def external_trait_impl(ref: DefinitionRef, top: dict) -> bool:
    """A Rust method implementing a trait from another crate (`impl Visitor for X`): a call
    `v.visit_str()` on it names the trait's method, which has no single definition here."""
    if not ref.path.endswith(".rs"):
        return False
    lines = SOURCE_LINES.get(ref.path, [])
    row = ref.definition.start_line - 1
    indent = len(lines[row]) - len(lines[row].lstrip()) if row < len(lines) else 0
    for above in range(row - 1, -1, -1):
        line = lines[above]
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            match = _IMPL_FOR.match(line)
            if match is None:
                return False
            trait = match.group(1).rsplit("::", 1)[-1]
            return not any(r.definition.kind == "trait" for r in top.get(trait, []))
    return False
