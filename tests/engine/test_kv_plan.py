"""Which tokens a request evaluates, given the cache: pure logic, no model."""

from coderd.engine.llama.kv_plan import (
    CacheState,
    PromptLayout,
    plan_reuse,
    prompt_chunk,
    state_after,
)

HEAD = (1, 2) + tuple(range(100, 120))
BLOCK = (3,) + tuple(range(200, 230))
TAIL = (4,)


def run(state, layout, **kw):
    kw.setdefault("allow_shift", True)
    kw.setdefault("refresh_after", 32)
    plan = plan_reuse(state, layout, **kw)
    return plan, state_after(state, layout, plan, len(layout.tokens))


def test_cold_cache_evaluates_everything():
    layout = PromptLayout(HEAD, BLOCK, TAIL)
    plan, _ = run(CacheState(), layout)
    assert plan.keep == 0 and plan.evaluated_count == len(layout.tokens)


def test_identical_prompt_evaluates_only_the_last_token():
    layout = PromptLayout(HEAD, BLOCK, TAIL)
    _, state = run(CacheState(), layout)
    plan, _ = run(state, layout)
    assert plan.evaluated_count == 1 and plan.shift is None


def test_keystroke_shifts_the_suffix_block():
    _, state = run(CacheState(), PromptLayout(HEAD, BLOCK, TAIL))
    typed = PromptLayout(HEAD + (500,), BLOCK, TAIL)
    plan, after = run(state, typed)
    assert plan.shift is not None and plan.shift.delta == 1
    assert plan.evaluate == (500,) and plan.then_evaluate == TAIL
    assert after.drift == 1 and after.head_len == len(HEAD) + 1


def test_retokenised_last_token_is_evaluated_again():
    _, state = run(CacheState(), PromptLayout(HEAD, BLOCK, TAIL))
    changed = PromptLayout(HEAD[:-1] + (777, 778), BLOCK, TAIL)
    plan, _ = run(state, changed)
    assert plan.keep == len(HEAD) - 1 and plan.evaluate == (777, 778)
    assert plan.shift.changed == 3  # one removed, two added


def test_drift_past_the_limit_evaluates_the_block_again():
    _, state = run(CacheState(), PromptLayout(HEAD, BLOCK, TAIL))
    head, shifted, drifts = HEAD, [], []
    for i in range(5):
        head = head + (600 + i,)
        plan, state = run(state, PromptLayout(head, BLOCK, TAIL), refresh_after=3)
        shifted.append(plan.shift is not None)
        drifts.append(state.drift)
    # Three keystrokes shift; the fourth would exceed the limit, so the block is evaluated
    # again (drift back to 0); then shifting resumes.
    assert shifted == [True, True, True, False, True]
    assert drifts == [1, 2, 3, 0, 1]


def test_changed_suffix_is_not_shifted():
    _, state = run(CacheState(), PromptLayout(HEAD, BLOCK, TAIL))
    plan, _ = run(state, PromptLayout(HEAD + (9,), BLOCK[:-1] + (999,), TAIL))
    assert plan.shift is None


def test_shift_disabled_evaluates_tail_and_block():
    _, state = run(CacheState(), PromptLayout(HEAD, BLOCK, TAIL))
    plan, _ = run(state, PromptLayout(HEAD + (9,), BLOCK, TAIL), allow_shift=False)
    assert plan.shift is None and plan.evaluated_count == 1 + len(BLOCK) + 1


def test_abort_part_way_records_only_what_is_held():
    layout = PromptLayout(HEAD, BLOCK, TAIL)
    plan = plan_reuse(CacheState(), layout, allow_shift=True, refresh_after=32)
    state = state_after(CacheState(), layout, plan, held=10)
    assert state.tokens == list(layout.tokens[:10]) and state.head_len is None


def test_abort_in_the_block_keeps_the_staleness_of_its_kept_cells():
    _, state = run(CacheState(), PromptLayout(HEAD, BLOCK, TAIL))
    _, state = run(state, PromptLayout(HEAD + (500,), BLOCK, TAIL))  # shifted: drift 1
    changed = PromptLayout(HEAD + (500,), BLOCK[:20] + (999,) * 11, TAIL)  # the suffix's end
    plan = plan_reuse(state, changed, allow_shift=True, refresh_after=32)
    assert plan.shift is None and plan.keep == len(HEAD) + 21
    partial = state_after(state, changed, plan, held=plan.keep + 5)  # aborted in the block
    assert partial.head_len is None and partial.drift == 1
    plan = plan_reuse(partial, changed, allow_shift=True, refresh_after=32)
    assert plan.keep == len(HEAD) + 26
    assert state_after(partial, changed, plan, len(changed.tokens)).drift == 1  # not 0


def test_prompt_chunk_is_small_on_a_cpu_only():
    assert prompt_chunk(0, gpu_layers=0, n_batch=512) == 32
    assert prompt_chunk(0, gpu_layers=999, n_batch=512) == 512
    assert prompt_chunk(0, gpu_layers=0, n_batch=16) == 16  # never more than a batch
    assert prompt_chunk(16, gpu_layers=999, n_batch=512) == 16


def test_prefix_only_layout_has_no_block():
    _, state = run(CacheState(), PromptLayout(HEAD))
    plan, _ = run(state, PromptLayout(HEAD + (5,)))
    assert plan.shift is None and plan.evaluate == (5,)
