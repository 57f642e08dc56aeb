"""What crosses between request handlers and the worker: snapshots in, outcomes out."""

from __future__ import annotations

import time
from concurrent.futures import Future
from dataclasses import dataclass, field

from coderd.engine.base import CancelToken, RequestStats


@dataclass(frozen=True)
class DocumentSnapshot:
    """An immutable copy of what the handler saw: the worker never reads live state."""

    key: str  # the document URI: the unit of supersession and of the prefix anchor
    text: str
    offset: int  # cursor, in code points into `text`
    language_id: str = ""
    candidates: int = 1  # more when the user asked explicitly (to cycle through them)
    path: str | None = None  # the file on disk, when the document is one: for repository context
    session: str = ""  # the editor connection (daemon mode): its context, KV slot and turn


@dataclass(frozen=True)
class Suggestion:
    id: str  # for the editor's shown / accepted / rejected reports (feedback.py)
    text: str


@dataclass
class Outcome:
    text: str = ""  # the best suggestion ("" for none); `suggestions` has all of them
    suggestions: tuple[Suggestion, ...] = ()
    status: str = "ok"  # ok, cancelled, no_model, error
    message: str = ""
    stats: RequestStats | None = None
    prompt_ids: tuple[int, ...] = ()
    pieces: tuple[tuple[str, tuple[int, ...]], ...] = ()
    prefix_text: str = ""
    suffix_text: str = ""
    mode: str = ""
    # What repository context went in: path, lines, source, tokens.
    context_chunks: tuple[dict[str, object], ...] = ()
    context_text: str = ""
    # The receiver hint inside the prefix ids, above the cursor's line ("" for none).
    hint_text: str = ""
    # A newer prompt waits: retrieval gave a new context block (prompt/blocks.py), the
    # budgets were re-planned (replan.py), or the suffix's KV drifted past its refresh bound
    # (engine/llama/kv_plan.py); this one kept what is in the cache, and a prewarm evaluates
    # the newer one in the background.
    prompt_pending: bool = False
    # A placement's prewarm (or its first key) evaluated a narrow first prompt
    # (first_prompt.py): the whole one follows in the background, once the first key is late.
    narrowed: bool = False


@dataclass
class Ticket:
    snapshot: DocumentSnapshot
    cancel: CancelToken = field(default_factory=CancelToken)
    future: Future[Outcome] = field(default_factory=Future)
    debounce_s: float = 0.0  # from the typing rhythm when it was submitted
    # Evaluate the prompt into the KV cache, decode nothing (prewarm.py): the lowest-priority
    # work, run only while no request waits, and cancelled by any request.
    prewarm: bool = False
    # A prewarm for the newer prompt a document waits for (Outcome.prompt_pending): it takes
    # the newest context block. A prewarm for where the user went (open, focus, jump) keeps the
    # block the document's cache or saved state holds, as requests do (prompt/blocks.py).
    switch: bool = False
    # A placement's prewarm (open, focus, jump): the time the user is expected to leave before
    # the first key there (first_prompt.py `FirstKeys`); 0 for that first key's request;
    # None for other tickets.
    first_key_s: float | None = None
    # When the request reached the service: its wait for the worker (behind a prompt chunk of
    # a superseded request, a speculation's decode step) shows as RequestStats.queued_ms.
    submitted: float = field(default_factory=time.perf_counter)
