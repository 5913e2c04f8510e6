"""The admin status page (`GET /`): last syncs, inbox depth and lag, last publish per page,
config warnings. Every value is escaped; no setting that could hold a secret is ever read here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import urlsplit

from goldenthread.sync.store import Store, utc
from goldenthread.sync.store.inbox import load_failed_events, load_inbox_stats
from goldenthread.sync.store.jobs import load_job_runs


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
    return utc(value).strftime("%Y-%m-%d %H:%M:%S UTC")  # type: ignore[union-attr]


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _link(url: Any, label: str) -> str:
    # only http(s) links: a stored url is data, and javascript: must never become a link
    if isinstance(url, str) and urlsplit(url).scheme in ("http", "https"):
        return f'<a href="{escape(url, quote=True)}">{escape(label)}</a>'
    return escape(label)


def _outcome(status: str) -> str:
    cls = {"ok": "ok", "done": "ok", "failed": "bad", "running": "run", "skipped": "warn"}.get(status, "")
    return f'<span class="badge {cls}">{escape(status)}</span>'


def _table(headers: Sequence[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f'<p class="empty">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _manual_edit(page: dict[str, Any]) -> str:
    """Who edited a generated page in Confluence, and which version holds their words."""
    version = page.get("manual_edit_version")
    if not version:
        return "—"
    what = ("not updated since (on_manual_edit: skip)" if page.get("last_result") == "skipped-manual-edit"
            else "overwritten; kept in the page history")
    text = f"{page.get('manual_edit_by') or 'someone'}: version {version} ({what}), seen {_ts(utc(page.get('manual_edit_at')))}"
    return f'<span class="badge warn">{escape(text)}</span>'


def _summary(stats: Any) -> str:
    if not isinstance(stats, dict) or not stats:
        return ""
    return escape(", ".join(f"{k}: {v}" for k, v in list(stats.items())[:6]))


CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#172b4d;max-width:70rem}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #dfe1e6}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ebecf0}
th{background:#f4f5f7}.badge{padding:0 .4rem;border-radius:3px;background:#dfe1e6}
.ok{background:#e3fcef;color:#006644}.bad{background:#ffebe6;color:#bf2600}.run{background:#deebff}.warn{background:#fffae6}
.cards{display:flex;gap:1rem}.card{border:1px solid #dfe1e6;border-radius:4px;padding:.6rem 1rem}
.card b{display:block;font-size:1.4rem}.warnings li{color:#974f0c}.empty{color:#6b778c}
"""


def render_status_page(status: dict[str, Any], warnings: Sequence[str], version: str = "") -> str:
    inbox = status["inbox"]
    counts = inbox["counts"]
    cards = "".join(
        f'<div class="card" id="{cid}"><b>{escape(str(value))}</b>{escape(label)}</div>'
        for cid, label, value in (
            ("inbox-depth", "waiting", inbox["depth"]),
            ("inbox-lag", "oldest waiting", _age(inbox["lag_seconds"]) if inbox["depth"] else "—"),
            ("inbox-done", "processed", counts.get("done", 0)),
            ("inbox-failed", "failed", counts.get("failed", 0)),
            ("inbox-ignored", "ignored", counts.get("ignored", 0)),
            ("inbox-duplicates", "duplicates", inbox["duplicates"]),
        )
    )
    runs = [
        [escape(str(r.get("kind", ""))), _ts(r.get("started_at")), _ts(r.get("finished_at")), _outcome(str(r.get("status", ""))),
         _summary(r.get("stats")), escape(str(r.get("error") or ""))[:300]]
        for r in status["runs"]
    ]
    jobs = [
        [escape(str(j["job"])), _ts(utc(j["slot"])), escape(str(j["replica"])), _outcome(str(j["status"])), escape(str(j.get("error") or ""))[:300]]
        for j in status["jobs"]
    ]
    pages = [
        [_link(p.get("url"), str(p.get("title") or p["page_key"])), escape(str(p["page_key"])), _ts(utc(p.get("published_at"))),
         escape(str(p.get("version") or "—")), "dirty since " + _ts(utc(p.get("dirty_since"))) if p.get("dirty") else "up to date",
         escape(str(p.get("last_result") or "")), _manual_edit(p)]
        for p in status["pages"]
    ]
    failed = [
        [escape(str(f["id"])), escape(str(f["event"])), escape(str(f.get("issue_key") or "—")), _ts(utc(f.get("received_at"))),
         escape(str(f.get("attempts") or 0)), escape(str(f.get("error") or ""))[:300]]
        for f in status.get("failed", ())
    ]
    warn = (
        '<ul class="warnings">' + "".join(f"<li>{escape(w)}</li>" for w in warnings) + "</ul>"
        if warnings
        else '<p class="empty">No configuration warnings.</p>'
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>goldenthread status</title><style>{CSS}</style></head>
<body><h1>goldenthread status</h1><p>As of {_ts(status["now"])} {escape(version)}</p>
<h2>Webhook inbox</h2><div class="cards">{cards}</div>
<h2>Failed events</h2>{_table(["event id", "event", "issue", "received", "attempts", "reason"], failed, "No event has failed.")}
<h2>Last syncs</h2>{_table(["kind", "started", "finished", "outcome", "summary", "error"], runs, "No sync has run yet.")}
<h2>Scheduled jobs</h2>{_table(["job", "tick", "replica", "outcome", "error"], jobs, "No scheduled job has run yet.")}
<h2>Pages</h2>{_table(["page", "key", "last publish", "version", "state", "last result", "edited by a person"], pages, "Nothing published yet.")}
<h2>Configuration warnings</h2>{warn}
<p><a href="/docs">API docs</a> · <a href="/metrics">metrics</a> · <a href="/readyz">readiness</a></p>
</body></html>"""
