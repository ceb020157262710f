"""Mistake: a password and a connection string written into resource config as literals."""

from datetime import timedelta

import dagster as dg

SLA = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=1))


class Database(dg.ConfigurableResource):
    """A database reached with credentials."""

    host: str
    password: str
    replica_url: str = ""


@dg.asset(freshness_policy=SLA)
def customers(database: Database) -> None:
    """Customers read from the database."""


defs = dg.Definitions(
    assets=[customers],
    resources={
        "database": Database(
            host="db.internal",
            password="hunter2",
            replica_url="postgresql://app:s3cret@replica.internal:5432/shop",
        )
    },
)
