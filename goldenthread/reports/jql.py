"""Jira searches the pages link to for what they leave out ("… and 312 more: see them in Jira").

Pure: JQL text and a browse URL built from the configuration and values read from Jira. Values
are quoted as JQL strings (backslash and double quote escaped) and the JQL is percent-encoded
into the URL, so an objective called `x" OR project = SECRET` stays one string value.

Tests: tests/reports/test_roadmap_limits.py, tests/reports/test_whats_new.py, tests/reports/test_goals_page.py
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

from goldenthread.mappings.config import Config

_CUSTOM_ID = re.compile(r"customfield_(\d+)", re.IGNORECASE)
_STAGE_CATEGORY = {"todo": "To Do", "in_progress": "In Progress", "done": "Done"}


def quote_jql(value: str) -> str:
    """A JQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_field_ref(field: str) -> str:
    """How JQL names a field configured by id (`cf[10107]`) or by name (quoted)."""
    found = _CUSTOM_ID.fullmatch(field.strip())
    return f"cf[{found.group(1)}]" if found else quote_jql(field.strip())


def build_jira_base(urls: Iterable[object]) -> str:
    """The Jira site of the backlog, from its issues' browse URLs ('' when none is known)."""
    for url in urls:
        if isinstance(url, str) and "/browse/" in url:
            return url.split("/browse/", 1)[0]
    return ""


def build_search_url(base: str, jql: str) -> str:
    """The issue navigator for `jql` (the same path on Cloud and Data Center)."""
    return f"{base.rstrip('/')}/issues/?jql={quote(jql, safe='')}" if base else ""


def build_backlog_jql(config: Config, *clauses: str, order_by: str = "key") -> str:
    """The backlog JQL narrowed by `clauses` (each ANDed)."""
    parts = [f"({config.jira.backlog_jql})", *clauses]
    return " AND ".join(parts) + (f" ORDER BY {order_by}" if order_by else "")


def build_stage_clause(stage: str) -> str:
    """Jira's status category for a stage (status overrides are goldenthread's own: close enough
    for a link that shows 'the rest')."""
    return f"statusCategory = {quote_jql(_STAGE_CATEGORY[stage])}"


def build_field_clause(config: Config, canonical: str, value: str | None) -> str | None:
    """`field = value` (`field is EMPTY` for None); None when the canonical field is not mapped."""
    field = config.fields.mapped().get(canonical)
    if not field:
        return None
    ref = build_field_ref(field)
    return f"{ref} is EMPTY" if value is None else f"{ref} = {quote_jql(value)}"


def build_field_in_clause(config: Config, canonical: str, values: Iterable[str]) -> str | None:
    """`field = value`, or `field in (a, b)` for every spelling of one value (an objective the
    config and the issues spell differently); None when the field is not mapped or no value."""
    field = config.fields.mapped().get(canonical)
    spellings = list(dict.fromkeys(v for v in values if v))
    if not field or not spellings:
        return None
    ref = build_field_ref(field)
    if len(spellings) == 1:
        return f"{ref} = {quote_jql(spellings[0])}"
    return f"{ref} in ({', '.join(map(quote_jql, spellings))})"
