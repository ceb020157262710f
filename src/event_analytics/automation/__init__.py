"""The logic behind the automation sensors, kept apart from Dagster's definitions.

`landing_cursor` is what the landing sensor remembers between ticks; `load_retries` decides
what to do with a day whose requested load has not landed; `run_history` reads the Dagster
instance for both.
"""
