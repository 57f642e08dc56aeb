"""A receiver's members written elsewhere right after the same tokens as the cursor's line
(retrieve/line_follows.py, receiver.py): the folder's files most like this one call them so."""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import write
from test_receiver_hint_languages import hints_in

METHODS = ["about", "arg", "get_name", "get_version", "subcommand"]
COMMAND = "class Command:\n" + "".join(f"    def {m}(self):\n        pass\n\n" for m in METHODS)


def test_members_called_after_the_same_tokens_in_similar_files_lead(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "pkg/command.py", COMMAND)
    for i in range(3):  # the builder methods are what most files call, in another folder
        write(root, f"app/build{i}.py", "def b(cmd):\n    cmd.about()\n    cmd.arg()\n")
    check = "from pkg.command import Command\n\n\ndef check_{}(cmd: Command):\n{}"
    write(
        root, "pkg/check_a.py", check.format("a", "    if not cmd.get_version():\n        return\n")
    )
    write(root, "pkg/check_b.py", check.format("b", "    cmd.subcommand()\n"))
    use = check.format("c", "    cmd.about()\n    if not cmd.\n")
    with hints_in(root, write(root, "pkg/check_c.py", use), use) as after:
        hint = after("    if not cmd.")
        assert hint is not None
        shown = [c["name"] for c in hint.chunks]
        # `not cmd .` precedes `get_version` in check_a.py; `cmd .` alone, at a line's start,
        # `subcommand` too; `about`, called above, the prefix shows.
        assert shown[:2] == ["get_version", "subcommand"], shown
        assert shown[-1] == "about"
