"""The console's pages beyond cases and coordination. Each module here has
`register(app, kit)`, so a new page never edits `console/app.py`'s routes."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable


@dataclass(frozen=True)
class Kit:
    """What every page needs from the console: settings, the clock, rendering with the
    session's flashes and CSRF token, and the login-and-role guard (`protected(area)`)."""

    cfg: Any
    clock: Callable[[], datetime]
    render: Callable[..., Awaitable[Any]]
    flash: Callable[..., Awaitable[None]]
    see_other: Callable[[str], Any]
    protected: Callable[..., Callable]


from console.pages import alerts, content, reports, training  # noqa: E402 - a page module imports Kit from here

# Filled as pages land: (module, ...) each with register(app, kit).
ALL: tuple = (content, training, reports, alerts)
