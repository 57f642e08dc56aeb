"""`coderd/didMoveCursor`: where the cursor went, from coderd's own editor clients.

LSP tells a server the cursor only inside a request, and VS Code asks for inline completions
only when the user types (it stopped asking on cursor moves: microsoft/vscode#150684). So the
first key after the user opened a file, or clicked somewhere else in it, evaluated its whole
prompt: the open's prewarm is at the end of the document, the only place a server can guess.
The clients in editors/ send this notification when the cursor lands on another line or in
another document, and the server prewarms the prompt there when that is a jump or a change of
document (coderd/completion/prewarm.py), as it does for an edit. A hint, like the feedback
notifications: malformed params and unknown documents are ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    from lsp.server.session import CoderdServer

CURSOR_METHOD = "coderd/didMoveCursor"


def register_cursor(server: CoderdServer) -> None:
    # Params as pygls makes them of a custom method's JSON (namedtuples), read with getattr;
    # annotated Any, never object (feedback.py says why).
    @server.feature(CURSOR_METHOD)
    def on_cursor(params: Any) -> None:
        uri = getattr(getattr(params, "textDocument", None), "uri", None)
        position = getattr(params, "position", None)
        line = getattr(position, "line", None)
        character = getattr(position, "character", None)
        if isinstance(uri, str) and _count(line) and _count(character):
            server.cursor_moved(uri, line, character)


def _count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
