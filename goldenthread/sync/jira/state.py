"""What a sync remembers between runs (sync_state rows) and the JQL it builds from it.

Cached so an incremental sync with nothing changed costs one search request: the deployment
(else /serverInfo every run), the /field list (refetched on --full, after a day, or when a mapped
name is not in it), the user's time zone (JQL dates are read in it) and the census time.

Tests: tests/sync/jira/test_ingest.py
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from goldenthread.mappings.deployment import DeploymentKind
from goldenthread.mappings.values import parse_datetime
from goldenthread.sync.store import Store

CURSOR = "jira.cursor"
FINGERPRINT = "jira.fingerprint"
DEPLOYMENT = "jira.deployment"
FIELDS = "jira.fields"
TIMEZONE = "jira.timezone"
CENSUS_AT = "jira.census_at"

FIELDS_MAX_AGE = timedelta(days=1)
CENSUS_MAX_AGE = timedelta(hours=24)

_ORDER_BY = re.compile(r"\s+order\s+by\s+.*$", re.I | re.S)


def build_backlog_jql(backlog_jql: str) -> str:
    """The configured JQL without any ORDER BY of its own (we always order by updated)."""
    return _ORDER_BY.sub("", backlog_jql.strip()) or "order by updated"


def build_full_jql(backlog_jql: str) -> str:
    return f"({build_backlog_jql(backlog_jql)}) ORDER BY updated ASC"


def build_since(cursor: datetime, lookback: timedelta, tz_name: str | None) -> str:
    """`cursor - lookback` as JQL's minute-precision date, in the searching user's time zone.

    Flooring to the minute widens the window (never narrows it): the overlap is re-upserted."""
    zone: Any = UTC
    if tz_name:
        try:
            zone = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            zone = UTC
    return (cursor - lookback).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def build_stream_jqls(backlog_jql: str, ids: list[str], *, streams: int, page: int) -> list[str]:
    """The full-sync JQL split into `streams` disjoint issue-id ranges that together cover the
    whole backlog, so their pages can be fetched side by side.

    The split points come from the census (`ids`), with every range but the last a whole number
    of pages, so the split adds no search request. The first range has no lower bound and the last
    no upper bound: an issue created after the census still falls in one of them."""
    numeric = sorted(int(i) for i in ids if str(i).isdigit())
    per = -(-len(numeric) // max(1, streams))  # ceil
    per = -(-per // page) * page  # whole pages
    bounds = [numeric[n] for n in range(per, len(numeric), per)] if per else []
    if streams <= 1 or len(numeric) != len(ids) or not bounds:
        return [build_full_jql(backlog_jql)]
    base = build_backlog_jql(backlog_jql)
    out = []
    for lo, hi in zip([None, *bounds], [*bounds, None], strict=True):
        parts = ([f"id >= {lo}"] if lo is not None else []) + ([f"id < {hi}"] if hi is not None else [])
        out.append(f"({base}) AND {' AND '.join(parts)} ORDER BY updated ASC")
    return out


def build_incremental_jql(backlog_jql: str, since: str) -> str:
    return f'({build_backlog_jql(backlog_jql)}) AND updated >= "{since}" ORDER BY updated ASC'


def build_fingerprint(base_url: str, backlog_jql: str, field_ids: list[str]) -> str:
    """Changes when the site, the backlog or the mapped fields change: then a full sync is due."""
    raw = json.dumps([base_url.rstrip("/"), build_backlog_jql(backlog_jql), sorted(field_ids)])
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def load_cursor(store: Store) -> datetime | None:
    value = store.load_state(CURSOR)
    return parse_datetime(value) if value else None


def format_cursor(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def load_deployment(store: Store, base_url: str) -> DeploymentKind | None:
    value = store.load_state(DEPLOYMENT)
    if not value or "|" not in value:
        return None
    kind, url = value.split("|", 1)
    return kind if url == base_url.rstrip("/") and kind in ("cloud", "datacenter") else None  # type: ignore[return-value]


def save_deployment(store: Store, base_url: str, deployment: DeploymentKind, at: datetime) -> None:
    store.save_state(DEPLOYMENT, f"{deployment}|{base_url.rstrip('/')}", at)


def load_cached_fields(store: Store, now: datetime) -> list[dict[str, Any]] | None:
    value = store.load_state(FIELDS)
    if not value:
        return None
    data = json.loads(value)
    fetched = parse_datetime(data["at"])
    if fetched is None or now - fetched > FIELDS_MAX_AGE:
        return None
    return list(data["fields"])


def save_cached_fields(store: Store, raw: list[dict[str, Any]], at: datetime) -> None:
    slim = [{"id": f.get("id"), "name": f.get("name"), "custom": f.get("custom", False),
             "schema": f.get("schema") or {}} for f in raw]
    store.save_state(FIELDS, json.dumps({"at": at.isoformat(), "fields": slim}), at)


def load_census_at(store: Store) -> datetime | None:
    value = store.load_state(CENSUS_AT)
    return parse_datetime(value) if value else None


def load_stored_updated(store: Store, keys: list[str]) -> dict[str, datetime]:
    """`updated` of the live stored issues among `keys`: an issue Jira reports with the same
    `updated` is unchanged, so its history needs no refetch."""
    return {key: updated for key, (updated, live) in store.load_issue_states(keys).items() if live}
