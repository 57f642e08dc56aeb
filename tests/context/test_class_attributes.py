"""Class attributes type what a method reaches through `self`: rq's registries declare
`job_class = Job` in the base class and a subclass's method calls
`job = self.job_class.fetch(job_id)`, a classmethod returning a Job; `mutex = Lock()` in a
class body is a Lock. On a real index of real files, through the receiver hint."""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import hint_after

JOB = """class Job:
    @classmethod
    def fetch(cls, job_id) -> "Job":
        return cls()

    def execute_failure_callback(self, penalty):
        pass

    def requeue(self):
        pass


def backend_class(holder, name, override=None):
    return override or getattr(holder, name)
"""

LOCKS = """class Lock:
    def acquire_for(self, seconds):
        pass
"""

REGISTRY = """from .job import Job, backend_class
from .locks import Lock


class BaseRegistry:
    job_class = Job
    mutex = Lock()

    def __init__(self, job_class=None):
        self.job_class = backend_class(self, "job_class", override=job_class)


class StartedJobRegistry(BaseRegistry):
    def cleanup(self, job_ids):
        for job_id in job_ids:
            found = self.job_class.fetch(job_id)
            found.
            self.mutex.
"""
FILES = {
    "rq/__init__.py": "",
    "rq/job.py": JOB,
    "rq/locks.py": LOCKS,
    "rq/registry.py": REGISTRY,
}


def test_a_base_classs_class_attribute_holding_a_class_types_its_calls(tmp_path: Path) -> None:
    hint = hint_after(tmp_path, FILES, "rq/registry.py", "            found.")
    assert {"execute_failure_callback", "requeue"} <= {c["name"] for c in hint.chunks}


def test_a_class_attribute_holding_an_instance_is_typed(tmp_path: Path) -> None:
    hint = hint_after(tmp_path, FILES, "rq/registry.py", "            self.mutex.")
    assert "acquire_for" in {c["name"] for c in hint.chunks}
