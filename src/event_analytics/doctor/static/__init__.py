"""Reading a module that does not load: the rules that can judge its source alone.

When the import fails (the guide's own sample does, on `FreshnessPolicy(maximum_lag_minutes=
60)`), nothing can be inspected at run time, but the source still shows most mistakes. These
static forms use only the module's own file, so they are deliberately narrower than their
loaded forms (docs/doctor.md says what each sees):

- `unpartitioned-reads-partitions`: an `@asset` without `partitions_def` whose parameter is
  (or `ins=` maps to) an asset of the file partitioned by a time partitions definition;
- `critical-without-freshness`: an `@asset` no other asset of the file takes as a parameter
  or `deps=` entry (a leaf), or tagged critical, without `freshness_policy=`;
- `partitioned-without-backfill-policy`: `partitions_def=` without `backfill_policy=`;
- `secret-literal`: a call's keyword argument that is a secret or connection string literal;
- `legacy-resource`: a `@resource` function; `legacy-api`: `@repository`,
  `LegacyFreshnessPolicy`, the freshness-check builders;
- `ops-instead-of-assets`: an `@op` annotated to return something other than None, called
  in a `@job`.
"""

from event_analytics.doctor.static.rules import static_findings

__all__ = ["static_findings"]
