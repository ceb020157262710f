"""What the landing sensor remembers between ticks, as the JSON of its cursor.

Two things per day folder:

- `settled`: the digest at which the day needs nothing more (loaded, or its request's run
  succeeded). A tick over years of unchanged history compares digests and nothing else.
- `requests`: the digest of a request whose run has not been seen to load the day yet,
  with its attempt number, run key and time (see `load_retries.LoadRequest`).

The cursor written before retries existed, a plain `{day: digest}` object, still reads: each
day is a first attempt with run key `<day>:<digest>`, which is what that code requested, so a
day whose run failed back then is retried now.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from event_analytics.automation.load_retries import LoadRequest, run_key

VERSION = 2


@dataclass
class LandingCursor:
    """The landing sensor's state: settled digests and open requests, by day (YYYY-MM-DD)."""

    settled: dict[str, str] = field(default_factory=dict)
    requests: dict[str, LoadRequest] = field(default_factory=dict)

    def days(self) -> set[str]:
        """Every day the cursor knows; a known day whose folder vanished must be reloaded."""
        return self.settled.keys() | self.requests.keys()

    def settle(self, day: str, digest: str) -> None:
        self.requests.pop(day, None)
        self.settled[day] = digest

    def record(self, day: str, request: LoadRequest) -> None:
        self.settled.pop(day, None)
        self.requests[day] = request

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": VERSION,
                "settled": self.settled,
                "requests": {day: asdict(r) for day, r in self.requests.items()},
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> LandingCursor:
        """Read a cursor this sensor wrote, in either format; `ValueError` if it is not one."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            if "version" not in data:
                return cls._from_digests_by_day(data)
            return cls(
                settled={str(d): str(digest) for d, digest in data["settled"].items()},
                requests={str(d): _request(r) for d, r in data["requests"].items()},
            )
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise ValueError(f"not a landing sensor cursor ({error})") from error

    @classmethod
    def _from_digests_by_day(cls, data: dict[str, Any]) -> LandingCursor:
        requests = {}
        for day, digest in data.items():
            if not isinstance(digest, str):
                raise TypeError(f"{day}: {digest!r} is not a digest")
            requests[day] = LoadRequest(digest, 1, run_key(day, digest, 1), requested_at=0.0)
        return cls(requests=requests)


def _request(data: dict[str, Any]) -> LoadRequest:
    return LoadRequest(
        digest=str(data["digest"]),
        attempt=int(data["attempt"]),
        run_key=str(data["run_key"]),
        requested_at=float(data["requested_at"]),
        given_up=bool(data.get("given_up", False)),
    )
