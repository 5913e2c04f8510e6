"""The admin status page (`GET /`): last syncs, inbox depth and lag, last publish per page,
config warnings. No setting that could hold a secret is ever read here.

The HTML is `templates/status.html` (Jinja2, autoescaped: every value is escaped once, by the
template). Python only shapes the values: long texts are cut *before* escaping, so a cut never
falls inside an entity such as `&amp;`.

Tests: tests/webhooks/test_status.py
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined

from goldenthread.mappings.values import parse_datetime
from goldenthread.sync.store import Store
from goldenthread.sync.store.inbox import load_failed_events, load_inbox_stats
from goldenthread.sync.store.jobs import load_job_runs

TEXT_LIMIT = 300  # characters of an error shown in a table cell; the full text is in the logs

_OUTCOME_CLASS = {"ok": "ok", "done": "ok", "failed": "bad", "running": "run", "skipped": "warn"}


def load_status(store: Store, now: datetime) -> dict[str, Any]:
    return {
        "now": now,
        "runs": store.load_runs(limit=10),
        "jobs": load_job_runs(store, limit=10),
        "inbox": load_inbox_stats(store, now),
        "failed": load_failed_events(store),
        "pages": store.load_all_published(),
    }


def _ts(value: Any) -> str:
    if not isinstance(value, datetime):
        return "—"
    return parse_datetime(value).strftime("%Y-%m-%d %H:%M:%S UTC")  # type: ignore[union-attr]


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _clip(value: Any) -> str:
    return str(value or "")[:TEXT_LIMIT]


def _link(url: Any) -> str | None:
    # only http(s) links: a stored url is data, and javascript: must never become a link
    return url if isinstance(url, str) and urlsplit(url).scheme in ("http", "https") else None


def _outcome(status: Any) -> dict[str, str]:
    text = str(status or "")
    return {"text": text, "cls": _OUTCOME_CLASS.get(text, "")}


def _manual_edit(page: dict[str, Any]) -> str | None:
    """Who edited a generated page in Confluence, and which version holds their words."""
    version = page.get("manual_edit_version")
    if not version:
        return None
    what = ("not updated since (on_manual_edit: skip)" if page.get("last_result") == "skipped-manual-edit"
            else "overwritten; kept in the page history")
    seen = _ts(parse_datetime(page.get("manual_edit_at")))
    return f"{page.get('manual_edit_by') or 'someone'}: version {version} ({what}), seen {seen}"


def _summary(stats: Any) -> str:
    if not isinstance(stats, dict) or not stats:
        return ""
    return ", ".join(f"{k}: {v}" for k, v in list(stats.items())[:6])


def build_status_view(status: dict[str, Any], warnings: Sequence[str], version: str = "") -> dict[str, Any]:
    """What the template shows: plain (unescaped) strings, already cut to length."""
    inbox = status["inbox"]
    counts = inbox["counts"]
    return {
        "as_of": _ts(status["now"]),
        "version": version,
        "cards": [
            {"id": cid, "label": label, "value": str(value)}
            for cid, label, value in (
                ("inbox-depth", "waiting", inbox["depth"]),
                ("inbox-lag", "oldest waiting", _age(inbox["lag_seconds"]) if inbox["depth"] else "—"),
                ("inbox-done", "processed", counts.get("done", 0)),
                ("inbox-failed", "failed", counts.get("failed", 0)),
                ("inbox-ignored", "ignored", counts.get("ignored", 0)),
                ("inbox-duplicates", "duplicates", inbox["duplicates"]),
            )
        ],
        "failed": [
            {"id": str(f["id"]), "event": str(f["event"]), "issue": str(f.get("issue_key") or "—"),
             "received": _ts(parse_datetime(f.get("received_at"))), "attempts": str(f.get("attempts") or 0),
             "reason": _clip(f.get("error"))}
            for f in status.get("failed", ())
        ],
        "runs": [
            {"kind": str(r.get("kind", "")), "started": _ts(r.get("started_at")), "finished": _ts(r.get("finished_at")),
             "outcome": _outcome(r.get("status")), "summary": _summary(r.get("stats")), "error": _clip(r.get("error"))}
            for r in status["runs"]
        ],
        "jobs": [
            {"job": str(j["job"]), "tick": _ts(parse_datetime(j["slot"])), "replica": str(j["replica"]),
             "outcome": _outcome(j["status"]), "error": _clip(j.get("error"))}
            for j in status["jobs"]
        ],
        "pages": [
            {"title": str(p.get("title") or p["page_key"]), "url": _link(p.get("url")), "key": str(p["page_key"]),
             "published": _ts(parse_datetime(p.get("published_at"))), "version": str(p.get("version") or "—"),
             "state": "dirty since " + _ts(parse_datetime(p.get("dirty_since"))) if p.get("dirty") else "up to date",
             "result": str(p.get("last_result") or ""), "manual_edit": _manual_edit(p)}
            for p in status["pages"]
        ],
        "warnings": list(warnings),
    }


_ENV = Environment(
    loader=PackageLoader("goldenthread.webhooks", "templates"),
    autoescape=True,  # every {{ value }} is escaped; nothing in the template is marked safe
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_status_page(status: dict[str, Any], warnings: Sequence[str], version: str = "") -> str:
    return _ENV.get_template("status.html").render(build_status_view(status, warnings, version))
