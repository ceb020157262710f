"""Keep secrets out of logs and exceptions: webhook URLs carry tokens in their path or query.

A webhook URL is a credential (Slack's incoming webhooks, most chat and pager integrations put
the token in the path), and HTTP libraries echo the URL in their error messages. Every text
about a delivery goes through `Redactor.clean` before it is logged or raised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MASK = "***"

# Token shapes worth masking even when they are not the configured secret (e.g. echoed back).
_TOKEN_PATTERNS = (re.compile(r"xox[a-z]-[A-Za-z0-9-]+"),)


def safe_url(url: str) -> str:
    """What may be shown of a URL: scheme, host and port, never its path, query or user."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/{MASK}" if parts.scheme else MASK


def _secret_fragments(url: str) -> list[str]:
    """The pieces of a URL that reveal its secret when printed on their own."""
    parts = urlsplit(url)
    fragments = [url]
    path_and_query = parts.path + (f"?{parts.query}" if parts.query else "")
    if len(parts.path) > 1:
        fragments += [path_and_query, parts.path]
        # Libraries sometimes print the path URL-encoded or without its leading slash.
        fragments += [parts.path.lstrip("/")]
    if parts.query:
        fragments.append(parts.query)
    if parts.password:
        fragments.append(parts.password)
    return fragments


@dataclass(frozen=True)
class Redactor:
    """Masks the configured secrets (and anything shaped like a Slack token) in text."""

    secrets: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def for_settings(cls, webhook_url: str, tokens: Iterable[str]) -> Redactor:
        fragments = _secret_fragments(webhook_url) if webhook_url else []
        fragments += [t for t in tokens if t]
        # Longest first, so a URL is masked whole before its path is.
        unique = sorted({f for f in fragments if len(f) >= 4}, key=len, reverse=True)
        return cls(tuple(unique))

    def clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for pattern in _TOKEN_PATTERNS:
            text = pattern.sub(MASK, text)
        return text
