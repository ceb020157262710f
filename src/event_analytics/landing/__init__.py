"""The landing-zone seam: where raw event files come from."""

from event_analytics.landing.files import (
    CorruptFileError,
    LandedFile,
    folder_digest,
)
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
    "folder_digest",
]
