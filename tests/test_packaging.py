"""The wheel holds every package: pyproject.toml lists them one by one, and an editable
install (this venv, the tests) finds a package missing from the list anyway, where a pipx or
wheel install, the README's way, fails at `import` (coderd.eval once did)."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    mapped = set(setuptools.get("package-dir", {}))  # packages whose folder is elsewhere
    on_disk = {
        ".".join(init.parent.relative_to(REPO).parts)
        for top in ("coderd", "lsp")
        for init in (REPO / top).rglob("__init__.py")
    }
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - on_disk - mapped == set(), "listed packages that no longer exist"
