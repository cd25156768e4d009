"""Start one OS process per job, release them together at a barrier, collect their reports."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import Any


def race(
    target: Callable[..., None],
    database_url: str,
    jobs: Sequence[Any],
    start_method: str = "spawn",
    preload: Sequence[str] = (),
    timeout_s: float = 90,
) -> list[dict[str, Any]]:
    """Run target(database_url, job, barrier, results) in one OS process per job.

    Each racer puts one report (a plain dict) on `results`; a racer that dies
    or exits with an error fails the calling test.
    """
    ctx = multiprocessing.get_context(start_method)
    if start_method == "forkserver" and preload:
        ctx.set_forkserver_preload(list(preload))
    barrier = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    racers = [ctx.Process(target=target, args=(database_url, job, barrier, results)) for job in jobs]
    for racer in racers:
        racer.start()
    reports = [results.get(timeout=timeout_s) for _ in racers]
    for racer in racers:
        racer.join(timeout_s)
        assert racer.exitcode == 0
    return reports
