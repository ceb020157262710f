"""Named points of the warehouse write path, where the crash tests stop a process for real.

The production code marks each moment that matters to crash safety (`point("before_commit")`,
`point("after delete raw.events")`). Nothing
happens there unless a handler is installed in this process by `install`: no environment
variable or setting can turn it on, so no deployment can be killed by accident, and an unset
point costs one `None` check.

Points, in the order a write reaches them:

- `before_begin`, `after_begin`: around the start of `Warehouse.transaction()`
- `after delete <table>`: a window's rows are deleted (`Warehouse.delete_window`)
- `after insert <table>`: rows are inserted (`Warehouse.insert_query`, `Warehouse.append`)
- `before_commit`, `after_commit`: around the commit
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Handler = Callable[[str], None]

TRANSACTION_POINTS = ("before_begin", "after_begin", "before_commit", "after_commit")

_handler: Handler | None = None


def point(name: str) -> None:
    """The write has reached `name`: tell the installed handler, if there is one."""
    if _handler is not None:
        _handler(name)


def install(handler: Handler | None) -> None:
    """Call `handler` with the name of every point this process reaches; None removes it."""
    global _handler
    _handler = handler


@contextmanager
def installed(handler: Handler) -> Iterator[None]:
    """`handler` for the duration of the block, then the previous one again."""
    previous = _handler
    install(handler)
    try:
        yield
    finally:
        install(previous)
