"""The one decoder of webhook payloads: the receiver and the worker both call `parse_payload`.

Two parsers used to disagree: orjson in the receiver accepted nesting up to 1,024 levels while
the worker's `json.loads` raised RecursionError from about 1,000, so a delivery the receiver
acknowledged could never be applied. One parser, and one bound on what is accepted at all:
Jira's own payloads (issue JSON, ADF descriptions with nested lists) stay far below
`MAX_DEPTH`, and every later step (mappings, rich text) may then recurse without risk."""

from __future__ import annotations

from typing import Any

import orjson

#: deepest nesting accepted (objects and arrays); Jira payloads nest a few dozen levels at most
MAX_DEPTH = 64


class PayloadError(ValueError):
    """Not a payload we accept; the message says why, fit for a 400 answer or an inbox row."""


def compute_depth_within(value: Any, limit: int) -> bool:
    """True when `value` nests at most `limit` containers deep. Level by level, not recursive:
    a hostile document must not be able to exhaust the stack of the code that checks it."""
    level = [value] if isinstance(value, (dict, list)) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return False
        nxt = []
        for v in level:
            for child in v.values() if type(v) is dict else v:
                if type(child) is dict or type(child) is list:
                    nxt.append(child)
        level = nxt
    return True


def parse_payload(raw: bytes | str) -> dict[str, Any]:
    """The JSON object of a delivery. Raises PayloadError for invalid UTF-8 or JSON, a document
    that is not an object, or nesting deeper than MAX_DEPTH."""
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        # orjson also refuses invalid UTF-8, and nesting beyond its own 1,024 levels
        if "depth limit" in str(exc):
            raise PayloadError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
        raise PayloadError(f"body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise PayloadError("body is not a JSON object")
    # fewer brackets than the limit cannot nest deeper than it: most deliveries skip the walk
    brackets = raw.count(b"{") + raw.count(b"[") if isinstance(raw, bytes) else raw.count("{") + raw.count("[")
    if brackets > MAX_DEPTH and not compute_depth_within(payload, MAX_DEPTH):
        raise PayloadError(f"JSON nested deeper than {MAX_DEPTH} levels")
    return payload
