"""Python rules for method samples (eval_samples.py): `obj.name(args)` names the gold method
only if the gold, bound to `obj`, accepts those arguments.

gunicorn's settings are classes whose hook is a plain function in the class body
(`class OnExit(Setting): def on_exit(server): pass`, then `default = staticmethod(on_exit)`);
`self.cfg.on_exit(self)` reads the hook through `Config.__getattr__`. Taking `OnExit.on_exit`
as that call's gold scored 18 of gunicorn's 40 method samples against a definition that the
call cannot reach: bound to `self.cfg`, `on_exit(server)` has no room for a second argument."""

from __future__ import annotations

import ast
import textwrap

from coderd.context.index.extract import Definition


def cannot_bind(tree, row: int, byte_column: int, gold: Definition) -> bool:
    """The call at (row, byte_column) passes more positional arguments than `gold`, a method
    bound to its receiver, takes (never for a static method or one taking `*args`)."""
    node = tree.root_node.named_descendant_for_point_range((row, byte_column), (row, byte_column))
    attribute = node.parent if node is not None else None
    call = attribute.parent if attribute is not None else None
    if attribute is None or attribute.type != "attribute" or call is None or call.type != "call":
        return False
    if call.child_by_field_name("function") != attribute:
        return False
    arguments = call.child_by_field_name("arguments")
    if arguments is None or arguments.type != "argument_list":
        return False
    passed = arguments.named_children
    if any(a.type in ("list_splat", "dictionary_splat") for a in passed):
        return False
    positional = sum(1 for a in passed if a.type not in ("keyword_argument", "comment"))
    function = _parsed(gold.signature)
    if function is None or function.args.vararg is not None:
        return False
    if any(_decorator_name(d) == "staticmethod" for d in function.decorator_list):
        return False
    takes = len(function.args.posonlyargs) + len(function.args.args)
    return positional + 1 > takes


def _parsed(signature: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    source = textwrap.dedent(signature).rstrip()
    try:
        module = ast.parse(source + ("\n" if source.endswith(":") else ":\n") + "    pass\n")
    except SyntaxError:
        return None
    first = module.body[0] if module.body else None
    return first if isinstance(first, ast.FunctionDef | ast.AsyncFunctionDef) else None


def _decorator_name(decorator: ast.expr) -> str:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
