"""A name imported from outside the workspace (`from pydantic_core import core_schema`) gets no
guessed type in the receiver hint: a project class whose methods are named like that module's
functions (pydantic's GenerateJsonSchema has `list_schema`, `bool_schema`, ...) is not it."""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import hint_at, write

JSON_SCHEMA = "class GenerateJsonSchema:\n" + "".join(
    f"    def {name}(self, schema):\n        pass\n\n"
    for name in ("list_schema", "bool_schema", "int_schema", "float_schema")
)
CALLER = "from pydantic_core import core_schema\n\ndef a():\n    return core_schema.list_schema()\n"


def test_a_module_from_outside_gets_no_guessed_type(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "pkg/json_schema.py", JSON_SCHEMA)
    write(root, "pkg/one.py", CALLER)
    write(root, "pkg/two.py", CALLER.replace("list_schema", "bool_schema"))
    text = "from pydantic_core import core_schema\n\ndef f():\n    return core_schema."
    write(root, "pkg/gen.py", text + "int_schema()\n")
    assert hint_at(root, "pkg/gen.py", text) is None
    # The same calls on a name the file does not import are still guessed from them.
    local = "def f(core_schema):\n    return core_schema."
    write(root, "pkg/gen.py", local + "int_schema()\n")
    hint = hint_at(root, "pkg/gen.py", local)
    assert hint is not None and hint.guessed and "def int_schema(self, schema):" in hint.text
    # `import numpy as np` the same way: an alias of a module outside.
    aliased = "import numpy as np\n\ndef f():\n    return np."
    write(root, "pkg/gen.py", aliased + "int_schema()\n")
    write(root, "pkg/three.py", "import numpy as np\n\nnp.list_schema()\nnp.bool_schema()\n")
    assert hint_at(root, "pkg/gen.py", aliased) is None
