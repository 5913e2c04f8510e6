"""`goldenthread sync`: Jira backlog -> store (full or incremental), census, stakeholder write-back.

Public API:
- `run_sync(ctx, *, full=False, jira=None, writeback=False, dry_run=False) -> SyncResult` for the
  CLI, the demo, the scheduler and the webhook worker.
- `load_field_map(ctx, jira)` and `fetch_issue_snapshot(jira, field_map, key)` for webhooks.

Incremental JQL: `(<backlog>) AND updated >= "<cursor - lookback>" ORDER BY updated ASC`. JQL
dates have minute precision and are read in the searching user's time zone, so the cursor is
converted to the zone /myself reports (cached; UTC when unknown, logged) and floored to the
minute. The cursor is capped at the run's start and saved with each committed page.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


from goldenthread.mappings.fields import (
    FieldMap,
    build_search_fields,
    parse_field_list,
    resolve_fields,
)
from goldenthread.mappings.jira import (
    parse_embedded_changelog,
    parse_issue,
    parse_status_changes,
    parse_status_list,
)
from goldenthread.mappings.records import IssueSnapshot, StatusCategory
from goldenthread.sync.jira import state as st
from goldenthread.sync.http.atlassian import JiraHandle, build_jira
from goldenthread.sync.http.errors import AuthError, classify_error
from goldenthread.sync.context import AppContext
from goldenthread.sync.errors import BadUsage, GoldenthreadError, RunFailed
from goldenthread.sync.jira.fetch import (
    fetch_bulk_changelogs,
    fetch_census,
    fetch_field_list,
    fetch_issue,
    fetch_search_pages,
    fetch_status_list,
    fetch_user_timezone,
    raise_jira_error,
)
from goldenthread.sync.jira.pipeline import PageCommitter

log = logging.getLogger(__name__)

SEARCH_STREAMS = 3  # disjoint searches paged side by side in a full sync (latency-bound, not CPU-bound)
REMOVED_REASON = "not returned by backlog JQL: deleted, relabelled or no permission"


@dataclass
class SyncResult:
    mode: str  # "full" | "incremental"
    deployment: str
    jql: str = ""
    fetched: int = 0  # issues returned by the search
    upserted: int = 0  # issues written (changed or new)
    unchanged: int = 0  # returned (lookback overlap) but identical to the store: skipped
    removed: int = 0  # marked removed by the census
    census: bool = False
    changelogs: int = 0  # issues whose full status history was fetched
    status_changes: int = 0
    pages: int = 0
    requests: int = 0
    duration_s: float = 0.0
    cursor: str | None = None
    run_id: int | None = None
    kpi_readings: int = 0  # rows read from outcomes.measurements (upserted by KPI and date)
    survey_answers: int = 0  # rows read from outcomes.surveys
    warnings: list[str] = field(default_factory=list)
    writeback: Any = None  # writeback.WritebackResult when write-back ran

    def as_stats(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("writeback",)}


# --- setup -----------------------------------------------------------------------------------
def open_jira(ctx: AppContext) -> JiraHandle:
    """A Jira handle; the deployment is cached per site so routine runs skip /serverInfo."""
    base = ctx.settings.jira_url.strip().rstrip("/")
    cached = st.load_deployment(ctx.store, base) if base else None
    try:
        jira = build_jira(ctx.settings, deployment=cached)
    except GoldenthreadError:  # JIRA_URL / JIRA_TOKEN missing or not a URL: exit 2 as it is
        raise
    except Exception as exc:  # noqa: BLE001 - auth or connection failure on /serverInfo
        err = classify_error(exc, service="jira")
        if isinstance(err, AuthError):
            raise RunFailed(f"Jira at {base} refused the credentials ({err.status}): check JIRA_USER / JIRA_TOKEN") from None
        raise RunFailed(str(err)) from None
    if cached is None:
        st.save_deployment(ctx.store, base, jira.deployment, ctx.clock())
    return jira


def load_field_map(ctx: AppContext, jira: JiraHandle, *, refresh: bool = False) -> FieldMap:
    """Resolve `fields:` against /field, from the cache unless stale, refreshed or incomplete."""
    now = ctx.clock()
    raw = None if refresh else st.load_cached_fields(ctx.store, now)
    if raw is not None:
        field_map = resolve_fields(ctx.config.fields, parse_field_list(raw))
        if not field_map.unresolved:
            return field_map
    raw = fetch_field_list(jira)
    st.save_cached_fields(ctx.store, raw, now)
    return resolve_fields(ctx.config.fields, parse_field_list(raw))


def refresh_statuses(ctx: AppContext, jira: JiraHandle) -> dict[str, StatusCategory]:
    infos = parse_status_list(fetch_status_list(jira))
    ctx.store.save_statuses(infos)
    return {s.name: s.category for s in infos}


# --- the run ---------------------------------------------------------------------------------
def run_sync(
    ctx: AppContext,
    *,
    full: bool = False,
    jira: JiraHandle | None = None,
    writeback: bool = False,
    dry_run: bool = False,
    page_size: int | None = None,
    on_page: Any = None,
    streams: int = SEARCH_STREAMS,
) -> SyncResult:
    """Bring the backlog into the store. Records the run (start_run/finish_run) with its stats.

    `on_page(page_index, issues)` is called after each page is committed (progress; tests use
    it to inject a crash between pages). A full sync pages up to `streams` issue-id ranges of the
    backlog side by side."""
    started = time.perf_counter()
    run_start = ctx.clock()
    store = ctx.store
    owns = jira is None
    jira = jira or open_jira(ctx)
    requests_before = jira.requests_by_status.total
    run_id = store.start_run("sync", run_start)
    result = SyncResult(mode="full" if full else "incremental", deployment=jira.deployment, run_id=run_id)
    try:
        _sync(ctx, jira, result, full=full, run_start=run_start, page_size=page_size, on_page=on_page,
              streams=streams)
        _sync_outcomes(ctx, result)
        if writeback and ctx.config.stakeholders.write_back != "off":
            result.writeback = _writeback(ctx, jira, dry_run=dry_run)
    except BaseException as exc:
        result.requests = jira.requests_by_status.total - requests_before
        result.duration_s = time.perf_counter() - started
        store.finish_run(run_id, "failed", ctx.clock(), result.as_stats(), error=str(exc) or type(exc).__name__)
        if owns:
            jira.close()
        raise
    result.requests = jira.requests_by_status.total - requests_before
    result.duration_s = time.perf_counter() - started
    store.finish_run(run_id, "ok", ctx.clock(), result.as_stats())
    if owns:
        jira.close()
    return result


def _sync(ctx: AppContext, jira: JiraHandle, result: SyncResult, *, full: bool, run_start: datetime,
          page_size: int | None, on_page: Any, streams: int) -> None:
    store, config = ctx.store, ctx.config
    statuses = store.load_statuses()
    tz = store.load_state(st.TIMEZONE)
    # the setup reads are independent: one round trip instead of three
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="gt-setup") as pool:
        fields_f = pool.submit(load_field_map, ctx, jira, refresh=full)
        statuses_f = pool.submit(refresh_statuses, ctx, jira) if full or not statuses else None
        tz_f = pool.submit(fetch_user_timezone, jira) if full or tz is None else None
        field_map = fields_f.result()
        if statuses_f is not None:
            statuses = statuses_f.result()
        if tz_f is not None:
            tz = tz_f.result() or "UTC"
            store.save_state(st.TIMEZONE, tz, run_start)
    for canonical, value in field_map.unresolved.items():
        result.warnings.append(f"fields.{canonical}: no Jira field {value!r}; left empty (run `goldenthread check`)")
    fingerprint = st.build_fingerprint(jira.base_url, config.jira.backlog_jql, field_map.field_ids())
    cursor = st.load_cursor(store)
    if not full and (cursor is None or store.load_state(st.FINGERPRINT) != fingerprint):
        if cursor is not None:
            result.warnings.append("backlog JQL, site or mapped fields changed since the last sync: full sync")
        full = True
    result.mode = "full" if full else "incremental"
    if full and tz_f is None:  # incremental was asked for, but a full pass is due
        tz = fetch_user_timezone(jira) or "UTC"
        store.save_state(st.TIMEZONE, tz, run_start)
    if full:
        jql = st.build_full_jql(config.jira.backlog_jql)
        cursor = None
        # reset the cursor and record what this pass is for, together: a full pass killed
        # half-way is then resumed by the next (incremental) run from its last committed page
        with store.begin() as conn:
            store.save_state(st.CURSOR, "", run_start, conn=conn)
            store.save_state(st.FINGERPRINT, fingerprint, run_start, conn=conn)
    else:
        assert cursor is not None
        since = st.build_since(cursor, timedelta(minutes=config.jira.lookback_minutes), tz)
        jql = st.build_incremental_jql(config.jira.backlog_jql, since)
    result.jql = jql
    log.info("Jira %s sync (%s): %s (JQL dates in %s)", result.mode, jira.deployment, jql, tz)

    backlog = st.build_backlog_jql(config.jira.backlog_jql)
    fields = build_search_fields(field_map)
    with ctx.reporter.task(f"Syncing Jira ({result.mode})") as task:
        def progress(index: int, n: int) -> None:
            task.advance(n)
            if on_page is not None:
                on_page(index, n)

        census_due = _census_due(ctx, jira, full=full, now=run_start)
        census_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gt-census")
        census: list[Future[dict[str, str]]] = []
        searches = [jql]
        if full and streams > 1:
            # a full pass takes the census first: it is a few requests, and its ids split the
            # backlog into ranges that are paged side by side (see build_stream_jqls)
            census.append(census_pool.submit(fetch_census, jira, backlog))
            searches = st.build_stream_jqls(config.jira.backlog_jql, list(census[0].result().values()),
                                            streams=streams, page=page_size or jira.profile.search_page)

        def start_census() -> None:
            # every page is fetched; the census overlaps the last commits (what they store was
            # returned by the backlog JQL, so the census returns it too)
            if census_due and not census:
                census.append(census_pool.submit(fetch_census, jira, backlog))

        try:
            def page_all(queries: list[str]) -> Any:
                committer = PageCommitter(store, jira, field_map, full=full, run_start=run_start, cursor=cursor,
                                          statuses=statuses, on_page=progress, on_search_done=start_census)
                return committer.run(*(fetch_search_pages(jira, q, fields, page_size=page_size) for q in queries))

            try:
                stats = page_all(searches)
            except BadUsage as exc:
                if len(searches) == 1:
                    raise
                # the census ran the backlog JQL itself, so what Jira refused is the id-range split:
                # page the backlog as one search (pages already committed are upserted again, harmless)
                log.warning("Jira refused the id-range split of the backlog (%s); paging it as one search", exc)
                result.warnings.append("Jira refused searching the backlog by issue-id ranges: paged it as one search")
                stats = page_all([jql])
            start_census()
            # an issue created after a census taken first was still returned by a search: present
            present = set(census[0].result()) | stats.keys if census else None
        finally:
            census_pool.shutdown(wait=True)
    result.fetched, result.upserted, result.unchanged = stats.fetched, stats.upserted, stats.unchanged
    result.changelogs, result.status_changes, result.pages = stats.changelogs, stats.status_changes, stats.pages
    result.cursor = st.format_cursor(stats.cursor) if stats.cursor else None
    unknown = {n for n in stats.status_names if n and n not in statuses}
    if unknown and statuses_f is None:
        log.info("statuses not seen before (%s): refreshing /status", ", ".join(sorted(unknown)))
        refresh_statuses(ctx, jira)
    if present is not None:
        _census(ctx, result, present, now=run_start)


def _sync_outcomes(ctx: AppContext, result: SyncResult) -> None:
    """KPI readings and survey answers are re-read on every sync (so `serve`'s schedule keeps
    them fresh); a bad source only warns."""
    from goldenthread.sync.outcomes import sync_outcome_sources

    outcomes = sync_outcome_sources(ctx)
    result.kpi_readings, result.survey_answers = outcomes.readings, outcomes.answers
    result.warnings.extend(outcomes.warnings)


def _census_due(ctx: AppContext, jira: JiraHandle, *, full: bool, now: datetime) -> bool:
    """After every full sync; on incremental runs when it is one request, else once a day."""
    if full:
        return True
    page = jira.profile.census_page
    if len(ctx.store.load_live_keys()) <= page:
        return True
    last = st.load_census_at(ctx.store)
    return last is None or now - last >= st.CENSUS_MAX_AGE


def _census(ctx: AppContext, result: SyncResult, present: set[str], *, now: datetime) -> None:
    gone = ctx.store.load_live_keys() - present
    result.removed = ctx.store.mark_removed(sorted(gone), REMOVED_REASON, now) if gone else 0
    result.census = True
    ctx.store.save_state(st.CENSUS_AT, now.isoformat(), now)
    if result.removed:
        log.info("census: %d issue(s) left the backlog: %s", result.removed, ", ".join(sorted(gone)[:20]))


def _writeback(ctx: AppContext, jira: JiraHandle, *, dry_run: bool) -> Any:
    try:
        from goldenthread.sync.jira import writeback as wb
    except ImportError:  # write-back lands separately; a sync without it is still a sync
        log.warning("stakeholder write-back is not available in this build")
        return None
    field_map = load_field_map(ctx, jira)
    issues = ctx.store.load_issues()
    result = wb.publish_stakeholders(
        jira, issues, ctx.config, field_id=field_map.id_for("stakeholders"), deployment=jira.deployment,
        mapped_fields=list(field_map.fields), dry_run=dry_run,
    )
    if not dry_run and result.added:
        by_key = {i.key: i for i in issues}
        snaps = [IssueSnapshot(wb.build_issue_with_added(by_key[k], users)) for k, users in result.added.items()
                 if k in by_key]
        # merge, not replace: the stored history stays; only the stakeholders column changes
        ctx.store.save_snapshots(snaps, ctx.clock(), full_history=False)
    return result


# --- one issue (webhook worker) ------------------------------------------------------------------
def fetch_issue_snapshot(
    jira: JiraHandle, field_map: FieldMap, key: str, *, statuses: dict[str, StatusCategory] | None = None,
) -> IssueSnapshot | None:
    """The issue and its full status history, or None when Jira no longer shows it."""
    raw = fetch_issue(jira, key, build_search_fields(field_map))
    if raw is None:
        return None
    issue = parse_issue(raw, field_map, base_url=jira.base_url, statuses=statuses)
    if jira.profile.changelog_in_search:
        changes = parse_embedded_changelog(raw)
    else:
        histories = fetch_bulk_changelogs(jira, [str(raw.get("id") or key)])
        changes = parse_status_changes(issue.key, histories.get(str(raw.get("id")), []))
    return IssueSnapshot(issue, changes)


__all__ = ["SyncResult", "fetch_issue_snapshot", "load_field_map", "open_jira", "raise_jira_error",
           "run_sync"]
