"""A receiver nothing types is guessed from what the file itself uses through it on other
lines, attributes too (retrieve/receiver_calls.py `used_types`): watchdog's `event` comes from
an unannotated call, and its `is_attrib`, `is_modify` are properties no file calls."""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import hint_at, write

EVENTS = (
    "class InotifyEvent:\n"
    + "".join(
        f"    @property\n    def {name}(self):\n        return self._mask & {i}\n\n"
        for i, name in enumerate(("is_attrib", "is_modify", "is_delete", "is_open"))
    )
    + "\n\nclass Descriptor:\n    @property\n    def is_open(self):\n        return True\n"
)
BODY = (
    "def queue_events(self):\n"
    "    item = self._inotify.read_event()\n"
    "    if item.is_attrib:\n"
    "        pass\n"
    "    elif item.is_modify:\n"
    "        pass\n"
    "    elif item."
)


def test_the_type_declaring_what_the_file_uses_through_the_receiver(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "pkg/events.py", EVENTS)
    write(root, "pkg/observer.py", BODY + "is_delete:\n        pass\n")
    hint = hint_at(root, "pkg/observer.py", BODY)
    assert hint is not None and hint.guessed
    assert "# item: InotifyEvent (pkg/events.py)" in hint.text
    assert "def is_delete(self):" in hint.text


def test_one_member_two_types_declare_is_no_guess(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "pkg/events.py", EVENTS)
    # `item`: no type is named after it either.
    body = "def queue_events(self):\n    item = self._inotify.read_event()\n    x = item."
    write(root, "pkg/observer.py", body + "is_delete\n    return item.is_open\n")
    assert hint_at(root, "pkg/observer.py", body) is None
