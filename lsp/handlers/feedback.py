"""Notifications from editor clients about suggestions: coderd/didShow, didAccept, didReject.

Recorded by `coderd.completion.feedback.Feedback` (local only). Malformed params are ignored: these are
hints, and a notification has no answer to carry an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lsp.server.session import CoderdServer

EVENTS = {"coderd/didShow": "shown", "coderd/didAccept": "accepted", "coderd/didReject": "rejected"}


def register_feedback(server: CoderdServer) -> None:
    for method, event in EVENTS.items():
        server.feature(method)(_handler(server, event))


def _handler(server: CoderdServer, event: str):
    def on_event(params) -> None:
        if server.service is None:
            return
        server.service.feedback.record(
            event,
            getattr(params, "id", None),
            kind=str(getattr(params, "kind", "all") or "all"),
            accepted_text=str(getattr(params, "acceptedText", "") or ""),
        )

    return on_event
