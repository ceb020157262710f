"""Findings silenced on purpose, each with its reason: asset metadata, a resource class
attribute, and (for the legacy resource) the config file the test writes."""

from typing import Any, ClassVar

import dagster as dg


class LocalEmulator(dg.ConfigurableResource):
    """A local emulator whose password is public."""

    doctor_ignore: ClassVar[dict[str, str]] = {
        "secret-literal": "the emulator's documented default password, not a secret"
    }

    password: str


@dg.resource
def legacy_client(context: dg.InitResourceContext) -> dict[str, Any]:
    return {}


@dg.asset(required_resource_keys={"legacy_client"})
def scratch_input(context: dg.AssetExecutionContext) -> None:
    """Read through the legacy resource."""


@dg.asset(
    deps=[scratch_input],
    metadata={"doctor/ignore": {"critical-without-freshness": "a scratch table nobody reads"}},
)
def scratch(emulator: LocalEmulator) -> None:
    """A leaf without an SLA, on purpose."""


defs = dg.Definitions(
    assets=[scratch_input, scratch],
    resources={"emulator": LocalEmulator(password="emulator"), "legacy_client": legacy_client},
)
