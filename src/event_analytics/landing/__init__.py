"""The landing-zone seam: where raw event files come from."""

from event_analytics.landing.files import CorruptFileError, LandedFile, lines_table
from event_analytics.landing.resource import (
    LANDING_DIGESTS,
    LandingZoneConfigError,
    LandingZoneResource,
)

__all__ = [
    "LANDING_DIGESTS",
    "CorruptFileError",
    "LandedFile",
    "LandingZoneConfigError",
    "LandingZoneResource",
    "lines_table",
]
