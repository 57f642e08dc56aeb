"""Notifications from editor clients about suggestions: coderd/didShow, didAccept, didReject.

Recorded by `coderd.completion.feedback.Feedback` (local only). Malformed params are ignored: these are
hints, and a notification has no answer to carry an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lsp.server.session import CoderdServer

EVENTS = {"coderd/didShow": "shown", "coderd/didAccept": "accepted", "coderd/didReject": "rejected"}


def register_feedback(server: CoderdServer) -> None:
    for method, event in EVENTS.items():
        server.feature(method)(_handler(server, event))


def _handler(server: CoderdServer, event: str) -> Callable[[Any], None]:
    # Custom methods' params: what pygls makes of the JSON (objects become namedtuples), read
    # with getattr. Annotated Any, never object: pygls passes the server as a handler's first
    # argument when that parameter's annotation is a class the server derives from.
    def on_event(params: Any) -> None:
        if server.service is None:
            return
        server.service.feedback.record(
            event,
            getattr(params, "id", None),
            kind=str(getattr(params, "kind", "all") or "all"),
            accepted_text=str(getattr(params, "acceptedText", "") or ""),
        )

    return on_event
