"""The one entry point: everything under `defs/` (assets, sensors, resources) is loaded here.

Every run executes its steps in the run's own process (`in_process_executor`): the code
location is loaded once per run instead of once per step. Parallel steps would gain nothing
here: every asset that writes the DuckDB warehouse is in a one-slot pool, so they run one at a
time anyway, and starting a Python process per step cost 8-12 s each on a 2-core machine
(docs/performance.md). Concurrency pools and blocking checks work the same in-process.
"""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(executor=dg.in_process_executor),
    )
