"""Suggestion ids and the reports that name them (coderd/completion/feedback.py)."""

from coderd.completion.feedback import Feedback


def test_a_report_about_an_earlier_daemons_suggestion_is_not_taken_for_a_new_one() -> None:
    # After a kill -9 the editor still holds the old daemon's suggestion and reports it
    # (didReject on the next key); the new daemon must count it as unknown, not as its own.
    before_kill = Feedback()
    old_id = before_kill.offer("doc", "return a + b")
    after_restart = Feedback()
    new_id = after_restart.offer("doc", "return a - b")
    assert new_id != old_id
    after_restart.record("rejected", old_id)
    assert after_restart.counts["rejected"] == 0
    assert after_restart.counts["unknown_ids"] == 1
    after_restart.record("accepted", new_id, "all", "return a - b")
    assert after_restart.counts["accepted"] == 1
