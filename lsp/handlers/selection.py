"""LSP 3.18 `InlineCompletionContext.selectedCompletionInfo`: the item selected in the editor's
completion list (VS Code's suggest widget), which would replace `range` with `text`.

VS Code draws inline suggestions while that list is open only when one extends the selected
item: its `range` covers the item's and its `insertText` starts with the item's text. So the
server completes the document as it would be with the item accepted, and answers the item's
text plus that completion over the item's range (editors/PROTOCOL.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from lsprotocol import types

from coderd.positions import LineIndex, PositionError

log = logging.getLogger(f"coderd.{__name__}")


@dataclass(frozen=True)
class SelectedItem:
    start: int  # code-point offset where the item's range starts (it ends at the cursor)
    text: str  # what the item inserts there

    def applied(self, text: str, cursor: int) -> tuple[str, int]:
        """The document with the item accepted, and the cursor after the item."""
        return text[: self.start] + self.text + text[cursor:], self.start + len(self.text)


def selected_item(
    info: types.SelectedCompletionInfo | None, index: LineIndex, cursor: int, encoding: str
) -> SelectedItem | None:
    """The selected item, when its range is one the document has, on the cursor's line and
    ending at the cursor; None otherwise (a request with anything else is answered as if
    nothing were selected: the editor then draws nothing beside its list, as before)."""
    if info is None:
        return None
    start, end = info.range.start, info.range.end
    try:
        start_offset = _exact_offset(index, start, encoding)
        end_offset = _exact_offset(index, end, encoding)
    except PositionError as exc:
        log.debug("selectedCompletionInfo ignored: %s", exc)
        return None
    line = index.position(cursor, encoding)[0]
    if start.line != line or end.line != line or end_offset != cursor or start_offset > cursor:
        log.debug(
            "selectedCompletionInfo ignored: range %s is not on the cursor's line ending at it",
            info.range,
        )
        return None
    return SelectedItem(start_offset, info.text)


def _exact_offset(index: LineIndex, position: types.Position, encoding: str) -> int:
    """The offset of a position that exists as given: not past its line's end, not inside a
    character (where `LineIndex.offset` clamps or rounds, a range from the editor is wrong)."""
    offset = index.offset(position.line, position.character, encoding)
    if index.position(offset, encoding) != (position.line, position.character):
        raise PositionError(f"{position.line}:{position.character} is not a place in the line")
    return offset
