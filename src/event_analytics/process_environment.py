"""Variables set in this process's environment for the length of a block.

Some libraries take what a process they start needs only from `os.environ`: dagster-dbt's
`DbtCliResource.cli` hands dbt's subprocess a copy of it, and PySpark reads
`PYSPARK_SUBMIT_ARGS` there when it starts its JVM. The variables need to be there only while
that process starts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set `values` in `os.environ` for the duration of the block, then restore it."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
