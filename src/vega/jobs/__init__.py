"""The job queue: what a job is (``runner``), and where it runs: this process on SQLite
(``JobRunner``), procrastinate on Postgres (``queue.QueuedJobs``, imported only there)."""

from vega.jobs.runner import JobRunner, JobView, runner_for, wait_until_settled
from vega.jobs.types import Alongside, Handler, Progress

__all__ = [
    "Alongside",
    "Handler",
    "JobRunner",
    "JobView",
    "Progress",
    "runner_for",
    "wait_until_settled",
]
