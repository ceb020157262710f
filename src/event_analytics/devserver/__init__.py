"""What `make run`, `make serve`, `make materialize` and `make land` run around Dagster's CLI.

- :mod:`.supervisor`: a command (`dg dev`, `dg launch`) in a process group of its own, its
  output relayed without colour codes when not on a terminal, stopped by Ctrl-C or SIGTERM
  with nothing left behind, even when it was started in the background.
- :mod:`.runs`: the runs in flight when it stops, canceled the way the UI's Terminate does.
- :mod:`.banner`: what to print once the UI answers: where it is and what was materialized.
- :mod:`.land`: one new file of events for today, to watch new data flow through the UI.

`python -m event_analytics.devserver --help` lists the commands. Nothing here imports
Dagster until it needs the instance, so the supervisor starts in a fraction of a second.
"""
