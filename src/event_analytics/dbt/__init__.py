"""The dbt side of the marts: where the project is, how a run is parameterized, how its
models map to Dagster assets. The assets themselves are in `event_analytics.defs.marts`."""
