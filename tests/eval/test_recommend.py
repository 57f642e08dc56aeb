"""The recommendation: best quality within the latency target, and the settings applying it."""

from __future__ import annotations

import sys

from coderd.eval.recommend import recommend
from coderd.eval.report import Summary, percentile, summarise, table
from coderd.eval.running import Budget, Configuration, SampleResult
from coderd.eval.sampling import Sample
from coderd.eval.scoring import score

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def summary(model, budget, context, check, edit, exact, p50):
    return Summary(
        configuration=Configuration(model, budget, context, check),
        samples=100,
        exact_match=exact,
        edit_similarity=edit,
        identifier_match=exact,
        identifier_f1=edit,
        empty=0.1,
        latency_p50_ms=p50 * 5,  # the first request in a file: the whole prompt
        latency_p95_ms=p50 * 10,
        typing_p50_ms=p50,
        typing_p95_ms=p50 * 2,
        prompt_tokens=300,
        generated_tokens=12,
        failed=0,
    )


SMALL, BIG = Budget(256, 32, 0), Budget(1024, 64, 512)
RESULTS = [
    summary("/m/small.gguf", SMALL, False, False, edit=0.40, exact=0.10, p50=120),
    summary("/m/small.gguf", BIG, True, True, edit=0.55, exact=0.20, p50=700),
    summary("/m/big.gguf", SMALL, True, False, edit=0.52, exact=0.25, p50=900),
    summary("/m/big.gguf", BIG, True, False, edit=0.70, exact=0.35, p50=2400),  # too slow
]


def test_best_quality_within_the_target_wins_and_its_settings_apply_it():
    choice = recommend(RESULTS, target_ms=1000)
    assert choice is not None and choice.within_target
    assert choice.summary is RESULTS[1]  # 0.70 is better but takes 2.4 s
    applied = tomllib.loads(choice.toml)
    assert applied["model"]["path"] == "/m/small.gguf"
    assert applied["completion"]["prefix_tokens"] == 1024
    assert applied["completion"]["syntax_check"] is True
    assert applied["context"] == {"enabled": True, "budget_tokens": 512}


def test_a_thread_count_set_for_the_run_is_set_by_the_settings_too():
    applied = tomllib.loads(recommend(RESULTS, target_ms=1000, threads=1).toml)
    assert applied["model"] == {"path": "/m/small.gguf", "threads": 1}
    planned = summary("", Budget(384, 64, 256, planned=True), True, False, 0.5, 0.2, 100)
    assert tomllib.loads(recommend([planned], 1000, threads=2).toml)["model"] == {"threads": 2}
    assert "model" not in tomllib.loads(recommend([planned], 1000).toml)


def test_a_looser_target_or_none_takes_the_best_and_a_tight_one_the_fastest():
    assert recommend(RESULTS, target_ms=3000).summary is RESULTS[3]
    assert recommend(RESULTS, target_ms=0).summary is RESULTS[3]
    tight = recommend(RESULTS, target_ms=50)
    assert tight is not None and not tight.within_target and tight.summary is RESULTS[0]
    assert "no configuration is within" in tight.message()


def test_planned_budgets_leave_the_budget_settings_alone():
    planned = summary("", Budget(384, 64, 256, planned=True), True, False, 0.5, 0.2, 100)
    applied = tomllib.loads(recommend([planned], 1000).toml)
    assert "prefix_tokens" not in applied["completion"] and "model" not in applied
    assert applied["context"] == {"enabled": True}


def test_summaries_average_the_scores_per_configuration():
    sample = Sample("a.py", "python", "line-rest", 0, "x = ", 4, "1")
    config = Configuration("", SMALL, False, False)
    results = [
        SampleResult(
            config, sample, text, ms, ms / 10, 10, 2, "", score("line-rest", text, "1").as_dict()
        )
        for text, ms in (("1", 100.0), ("2", 300.0), ("", 200.0))
    ]
    (only,) = summarise(results)
    assert only.exact_match == 1 / 3 and only.empty == 1 / 3
    assert only.latency_p50_ms == 200.0 and only.latency_p95_ms == 300.0
    assert only.typing_p50_ms == 20.0 and only.typing_p95_ms == 30.0
    assert "| 256/32/0 | off | off | 3 | 0.333 |" in table([only])
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
