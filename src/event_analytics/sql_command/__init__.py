"""`event-analytics sql`: run one read-only query against the configured warehouse and print it.

- `options` - the formats and the default row limit (no heavy imports: the parser needs them);
- `statement` - what counts as one query, told by DuckDB's own parser (the platform's queries
  are written in DuckDB's dialect for every backend, and so are the command's);
- `session` - a read-only session on the warehouse `WAREHOUSE_URL` names, whatever its engine;
- `values` - what each Arrow value looks like in JSON, CSV and a table for people;
- `output` - the three formats: a table, JSON lines, CSV;
- `run` - the command itself, with the exit statuses a script can rely on.

Nothing here is imported by the platform's code location: only the command line loads it.
"""
