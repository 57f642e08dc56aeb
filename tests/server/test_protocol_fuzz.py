"""`coderd lsp --standalone` (pygls, with lsp/server/protocol.py's changes) under fuzzed input:
it never dies nor goes deaf, answers every request once (a second `initialize` with an error,
the session going on), and keeps documents exactly in sync (tests/fuzz_lsp.py says what is sent
and checked). The relay's twin is tests/process/test_relay_fuzz.py.
"""

from __future__ import annotations

from fuzz_lsp import run_fuzz

MESSAGES = 1500  # per run; raise it for a longer hunt (the stream depends on seed and count)
SEED = 20240612


async def test_the_standalone_server_survives_fuzzed_traffic(tmp_path):
    report = await run_fuzz(tmp_path, daemon=False, seed=SEED, messages=MESSAGES)
    print(f"standalone fuzz: {report}")
    assert report.documents > 50  # the text was compared often, not only at the end
