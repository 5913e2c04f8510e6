"""What an Atlassian answer means: the one `classify(status, headers, body)` every response goes
through, whether the transport is deciding to retry it, a client is turning it into an error,
or deployment detection is deciding to trust it.

Kinds (Jira and Confluence agree on these):
- `refused` (429, 503): the server did no work; any method may be retried, honouring
  Retry-After (seconds or an HTTP-date).
- `server` (other 5xx): the request may have landed; only reads are retried.
- `auth` (401/403), `bad_request` (400: for a search, the JQL), `not_found` (404, and 410 for an
  API that was removed), `conflict` (409: a stale page version), `other` (any other 4xx/3xx):
  final, not retried.
- `ok` (2xx): the body is not read.

Tests: tests/sync/http/test_classify.py
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Literal

Kind = Literal["ok", "refused", "server", "auth", "bad_request", "not_found", "conflict", "other"]
#: Jira's per-issue write limit (a 429 that slows one issue, not the site).
PER_ISSUE_LIMIT = "jira-per-issue-on-write"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Verdict:
    status: int
    kind: Kind
    retry_after: float | None = None  # seconds the server asked us to wait (refused only)
    messages: tuple[str, ...] = field(default=())  # what the body says went wrong (errors only)
    rate_limit_reason: str = ""  # RateLimit-Reason of a 429

    @property
    def retry_any_method(self) -> bool:
        """Refused before doing any work: a write may be sent again too."""
        return self.kind == "refused"

    @property
    def retry_read(self) -> bool:
        """Worth another attempt for a request that only reads."""
        return self.kind in ("refused", "server")

    @property
    def per_issue_limit(self) -> bool:
        return self.status == 429 and self.rate_limit_reason == PER_ISSUE_LIMIT


def classify(
    status: int, headers: Mapping[str, str], body: bytes | str | None,
    *, now: Callable[[], datetime] = _utcnow,
) -> Verdict:
    """The verdict on one answer. `headers` is any case-insensitive mapping (httpx or requests)."""
    if status < 300:
        return Verdict(status, "ok")
    kind: Kind
    if status in (429, 503):
        kind = "refused"
    elif status >= 500:
        kind = "server"
    elif status in (401, 403):
        kind = "auth"
    elif status == 400:
        kind = "bad_request"
    elif status in (404, 410):
        kind = "not_found"
    elif status == 409:
        kind = "conflict"
    else:
        kind = "other"
    retry_after = parse_retry_after(headers.get("Retry-After"), now) if kind == "refused" else None
    return Verdict(status, kind, retry_after, tuple(parse_error_messages(body)),
                   headers.get("RateLimit-Reason", "") if status == 429 else "")  # fmt: skip


def parse_retry_after(value: str | None, now: Callable[[], datetime] = _utcnow) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - now()).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def parse_error_messages(body: bytes | str | None) -> list[str]:
    """Jira's errorMessages + errors, Confluence v1 `message`, Confluence v2 `errors[].title/detail`;
    a short non-HTML text body as it is."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        flat = " ".join(text.split())
        return [flat[:300]] if flat and not flat.lstrip().startswith("<") else []
    messages: list[str] = []
    if not isinstance(parsed, dict):
        return messages
    messages.extend(str(m) for m in parsed.get("errorMessages") or [] if m)
    errors = parsed.get("errors")
    if isinstance(errors, dict):
        messages.extend(f"{key}: {value}" for key, value in errors.items() if value)
    elif isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                said = item.get("detail") or item.get("title") or item.get("message") or item.get("code")
                if said:
                    messages.append(str(said))
            elif item:
                messages.append(str(item))
    if parsed.get("message"):
        messages.append(str(parsed["message"]))
    return messages
