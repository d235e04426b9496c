"""Work that goes on after an answer was given, kept until it ends.

The event loop holds tasks only weakly, so a task nobody keeps may vanish mid-way; a
process keeps its background work here, and waits for it, within a grace time, on the way
out."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, work: Awaitable[Any]) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def finish(self, grace_seconds: float) -> None:
        """Let the work in progress end, for at most `grace_seconds`."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace_seconds)
