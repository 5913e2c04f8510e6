"""Publish page models to Confluence: create or update only when the content changed.

Change detection: the page hash (title + body + attachment hashes; the "data as of" footer is
excluded, see reports.pages) is kept in the store and, with the page version we wrote, in the
page property `goldenthread`. An unchanged run costs one request per page (GET the page version:
matches the store) or two (store lost: GET page + GET property), and writes nothing.

Manual edits: when the live version differs from the version we recorded, a person edited the
page since our last publish. It is reported; `publish.on_manual_edit` says overwrite (default) or
skip. A 409 on update (someone saved in between) re-reads the version and retries once.

Only pages goldenthread created are written, and a run stopped between a page write and its
property write is finished by the next run without a new version: see `confluence.ownership`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Collection, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from goldenthread.mappings.config import ConfigError, ConfigProblem
from goldenthread.mappings.deployment import DeploymentKind

from goldenthread.reports.pages import LIVE_PAGES, MONTHLY_PAGES, PageData, PageModel
from goldenthread.reports.pages.common import build_page_data_from_tables
from goldenthread.reports.pages.common import build_parent_body
from goldenthread.reports.months import month_as_of, parse_month
from goldenthread.reports.preview import render_preview_html, render_preview_index
from goldenthread.sync.http.atlassian import ConfluenceHandle, build_confluence
from goldenthread.sync.http.errors import AtlassianError, ConflictError, NotFoundError
from goldenthread.sync.jira import state as st
from goldenthread.sync.confluence.client import ConfluenceApi, LivePage, PageProperty
from goldenthread.sync.confluence.minutes import fetch_meeting, publish_minutes
from goldenthread.sync.confluence.ownership import (
    CREATING,
    PageNotOurs,
    build_attachment_comment,
    build_not_ours_message,
    build_version_message,
    compute_owner,
    compute_own_last_write,
    parse_marker,
)
from goldenthread.sync.confluence.outcomes import (
    Outcome,
    PageOutcome,
    PublishResult,
    compute_page_hash,
    render_diff,
)
from goldenthread.sync.context import AppContext
from goldenthread.sync.errors import BadUsage, GoldenthreadError

log = logging.getLogger(__name__)


# --- one page --------------------------------------------------------------------------------


class _Publisher:
    def __init__(self, ctx: AppContext, api: ConfluenceApi, *, dry_run: bool, adopt: Collection[str] = (),
                 command: str = "goldenthread publish") -> None:
        self.ctx, self.api, self.dry_run = ctx, api, dry_run
        self.adopt, self.command = frozenset(adopt), command
        self.store = ctx.store
        self.on_manual_edit = ctx.config.publish.on_manual_edit
        self._people = {p.id.casefold(): p.name or p.id for p in ctx.config.stakeholders.people}
        self._parents: dict[str, str] = {}

    def _now(self) -> datetime:
        return self.ctx.clock()

    def _record(self, model: PageModel, page: LivePage, digest: str, result: str) -> None:
        # `dirty` is left alone: serve's publisher clears it when it claims the page, BEFORE the
        # data is read; clearing it here would drop a change that arrived while this page rendered
        self.store.save_published(
            model.key, title=model.title, page_id=page.id, space=self.api.space_key, version=page.version,
            content_hash=digest, url=page.url, published_at=self._now(), last_result=result,
        )

    def parent_id(self, title: str, grandparent: str | None) -> str:
        """The id of the page called `title`, created (once) under `grandparent` when missing."""
        if title in self._parents:
            return self._parents[title]
        key = f"parent:{title}"
        rec = self._load_record(key)
        page = self.api.get_page(rec["page_id"]) if rec and rec.get("page_id") else None
        if page is None:
            page = self.api.find_page(title)
        if page is None:
            above = self.parent_id(grandparent, None) if grandparent else None
            page = self.api.create_page(title, build_parent_body(title), above)
            log.info("created missing parent page %r", title)
        self.store.save_published(key, title=title, page_id=page.id, space=self.api.space_key,
                                  version=page.version, url=page.url, last_result="parent")
        self._parents[title] = page.id
        return page.id

    def _load_record(self, key: str) -> dict[str, Any]:
        """What we last published under `key`, if it was in the configured space: after a change
        of `publish.space` the pages are found (or created) in the new space, never updated in
        the old one."""
        rec = self.store.load_published(key) or {}
        return rec if rec.get("space") in (None, "", self.api.space_key) else {}

    def publish(self, model: PageModel) -> PageOutcome:
        digest = compute_page_hash(model)
        rec = self._load_record(model.key)
        live = self.api.get_page(rec["page_id"], body=self.dry_run) if rec.get("page_id") else None
        if live is None:
            live = self.api.find_page(model.title, body=self.dry_run)
        if self.dry_run:
            return self._dry_run(model, live, rec, digest)
        if live is None:
            return self._create(model, digest)
        if (rec.get("page_id") == live.id and rec.get("version") == live.version and rec.get("content_hash") == digest
                and rec.get("last_result") != CREATING):
            return PageOutcome(model.key, model.title, "unchanged", live.url, live.id, live.version)
        prop = self.api.get_property(live.id)
        owner = compute_owner(live, prop, rec, self.adopt)
        if owner == "stranger":
            raise PageNotOurs(build_not_ours_message(live.title, self.api.space_key, self.command))
        if owner == "adopted":
            log.warning("adopting page %r (id %s): goldenthread now owns it and replaces its content", live.title, live.id)
            return self._update(model, live, None, digest, None)
        if compute_own_last_write(live, rec, digest):
            return self._finish(model, live, prop, digest)
        # a version carrying our marker is ours (an older write, another replica's), never a person's
        manual = parse_marker(live.message) is None and self._edited_by_someone(live, prop, rec)
        if not manual and prop is not None and prop.value.get("hash") == digest:
            self._record(model, live, digest, "unchanged")
            return PageOutcome(model.key, model.title, "unchanged", live.url, live.id, live.version)
        if manual and self.on_manual_edit == "skip":
            note = self._report_edit(model, live, "not updated (publish.on_manual_edit: skip)")
            self.store.save_published(model.key, title=model.title, page_id=live.id, url=live.url,
                                      last_result="skipped-manual-edit")
            return PageOutcome(model.key, model.title, "skipped-manual-edit", live.url, live.id, live.version,
                               manual_edit=True, edited_version=live.version, note=note)
        return self._update(model, live, prop, digest, live if manual else None)

    def _edited_by_someone(self, live: LivePage, prop: PageProperty | None, rec: dict[str, Any]) -> bool:
        ours = prop.value.get("version") if prop is not None else None
        if ours is None and rec.get("page_id") == live.id:
            ours = rec.get("version")
        return ours is not None and int(ours) != live.version

    def _report_edit(self, model: PageModel, edited: LivePage, what: str) -> str:
        """Say (log, store, outcome note) that a person's edit is version `edited.version`."""
        who = self._people.get(edited.author_id.casefold(), edited.author_id) or "someone"
        note = f"edited in Confluence by {who} since the last publish (version {edited.version}); {what}"
        log.warning("page %r %s", model.title, note)
        self.store.save_published(model.key, manual_edit_version=edited.version, manual_edit_by=who,
                                  manual_edit_at=self._now())
        return note

    def _dry_run(self, model: PageModel, live: LivePage | None, rec: dict[str, Any], digest: str) -> PageOutcome:
        if live is None:
            return PageOutcome(model.key, model.title, "would-create", diff=render_diff(model, None))
        if rec.get("page_id") != live.id:
            if compute_owner(live, self.api.get_property(live.id), rec, self.adopt) == "stranger":
                raise PageNotOurs(build_not_ours_message(live.title, self.api.space_key, self.command))
        same = (live.storage or "") == model.storage or (rec.get("content_hash") == digest
                                                         and rec.get("version") == live.version)
        outcome: Outcome = "unchanged" if same else "would-update"
        return PageOutcome(model.key, model.title, outcome, live.url, live.id, live.version,
                           diff="" if same else render_diff(model, live))

    def _property_value(self, page: LivePage, model: PageModel, digest: str) -> dict[str, Any]:
        return {"hash": digest, "version": page.version, "attachments": model.attachment_hashes()}

    def _create(self, model: PageModel, digest: str) -> PageOutcome:
        parent = self.parent_id(model.parent_title, model.grandparent_title)
        # said before the create: a run stopped before it learns the new page's id leaves the
        # next run this record to recognise the page by (creation takes no version message)
        self.store.save_published(model.key, title=model.title, space=self.api.space_key, page_id=None,
                                  version=None, content_hash=digest, last_result=CREATING)
        page = self.api.create_page(model.title, model.storage, parent)
        self.store.save_published(model.key, page_id=page.id, version=page.version, url=page.url)
        self.api.add_labels(page.id, model.labels)
        hashes = model.attachment_hashes()
        for name, content in sorted(model.attachments.items()):
            self.api.upload_attachment(page.id, name, content, None, build_attachment_comment(hashes[name]))
        self.api.save_property(page.id, self._property_value(page, model, digest), None)
        self._record(model, page, digest, "created")
        return PageOutcome(model.key, model.title, "created", page.url, page.id, page.version,
                           attachments_uploaded=len(model.attachments))

    def _update(self, model: PageModel, live: LivePage, prop: PageProperty | None, digest: str,
                edited: LivePage | None) -> PageOutcome:
        """Write the page; `edited`: the live version when a person edited it since our last publish."""
        message = build_version_message(digest)  # the next run knows this version by it
        try:
            page = self.api.update_page(live.id, model.title, model.storage, live.version + 1, message)
        except ConflictError:
            # Someone saved in between: re-read the current version and retry exactly once.
            fresh = self.api.get_page(live.id)
            if fresh is None:
                raise
            log.info("version conflict on %r (now v%d); retrying once", model.title, fresh.version)
            page = self.api.update_page(live.id, model.title, model.storage, fresh.version + 1, message)
            if edited is not None or fresh.author_id != live.author_id:
                # a person saved (not another goldenthread run, which writes as the live version's
                # author): the version holding their words is this one
                edited = fresh
        uploaded = self._sync_attachments(page.id, model, prop)
        if prop is None:
            self.api.add_labels(page.id, model.labels)  # a page we adopt, or our property was lost
        self.api.save_property(page.id, self._property_value(page, model, digest), prop)
        self._record(model, page, digest, "updated")
        note = "" if edited is None else self._report_edit(
            model, edited, f"overwritten; their edit stays in the page history as version {edited.version}")
        return PageOutcome(model.key, model.title, "updated", page.url, page.id, page.version,
                           manual_edit=edited is not None, edited_version=edited.version if edited else None,
                           attachments_uploaded=uploaded, note=note)

    def _finish(self, model: PageModel, live: LivePage, prop: PageProperty | None, digest: str) -> PageOutcome:
        """The live version is our own write of this very content, by a run stopped before it
        wrote the property: finish that run's job (attachments, labels, property), no new version."""
        uploaded = self._sync_attachments(live.id, model, prop, trust_live=True)
        if prop is None:
            self.api.add_labels(live.id, model.labels)
        value = self._property_value(live, model, digest)
        if prop is None or prop.value != value:
            self.api.save_property(live.id, value, prop)
        self._record(model, live, digest, "unchanged")
        log.info("page %r: finished the publish a stopped run had begun (no new version)", model.title)
        return PageOutcome(model.key, model.title, "unchanged", live.url, live.id, live.version,
                           attachments_uploaded=uploaded, note="finished an interrupted publish; no new version")

    def _sync_attachments(self, page_id: str, model: PageModel, prop: PageProperty | None, *,
                          trust_live: bool = False) -> int:
        """Upload the attachments whose content changed: known from the property, or with
        `trust_live` from the hash marker in each live attachment's comment (one listing)."""
        hashes = model.attachment_hashes()
        live = self.api.list_attachments(page_id) if trust_live else None
        if live is not None:
            changed = [n for n, h in hashes.items() if n not in live or parse_marker(live[n].comment) != h[:16]]
        else:
            known = (prop.value.get("attachments") if prop is not None else None) or {}
            changed = [n for n, h in hashes.items() if known.get(n) != h]
        if not changed:
            return 0
        live = live if live is not None else self.api.list_attachments(page_id)
        for name in sorted(changed):
            self.api.upload_attachment(page_id, name, model.attachments[name], live.get(name),
                                       build_attachment_comment(hashes[name]))
        return len(changed)


# --- runs ------------------------------------------------------------------------------------


def load_page_data(ctx: AppContext, as_of: datetime, deployment: Any = None) -> PageData:
    """The pages' data at `as_of`, from the store's columnar tables as `metrics` reads them (no
    record object per issue: most of the cost of a large backlog)."""
    store = ctx.store
    issues, names = store.load_issue_table_and_names()
    return build_page_data_from_tables(
        issues, store.load_change_table(), store.load_statuses(), ctx.config, as_of, deployment,
        store.load_outcome_tables(), names, store.load_project_names(),
    )  # fmt: skip




def write_previews(pages: Sequence[PageModel], out_dir: Path) -> list[Path]:
    """index.html plus one standalone HTML file per page; returns the paths (index first)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    entries: list[tuple[str, str]] = []
    for model in pages:
        name = re.sub(r"[^A-Za-z0-9]+", "-", model.key).strip("-").lower() + ".html"
        crumbs = tuple(t for t in (model.grandparent_title, model.parent_title) if t)
        html = render_preview_html(model.title, model.storage, model.attachments, model.people, crumbs)
        path = out_dir / name
        path.write_text(html, encoding="utf-8")
        written.append(path)
        entries.append((model.title, name))
    index = out_dir / "index.html"
    index.write_text(render_preview_index(entries), encoding="utf-8")
    return [index, *written]


def open_confluence_api(ctx: AppContext, confluence: ConfluenceHandle | None = None, *,
                        deployment: DeploymentKind | None = None) -> ConfluenceApi:
    """The Confluence API for the configured space (not yet checked: `fetch_space_problem`)."""
    if confluence is None:
        jira_url = ctx.settings.jira_url.strip().rstrip("/")
        # the deployment `sync` cached: no /serverInfo call, and no Confluence token sent to Jira
        if deployment is None and jira_url:
            deployment = st.load_deployment(ctx.store, jira_url)
        confluence = build_confluence(ctx.settings, deployment=deployment)
    return ConfluenceApi(confluence, ctx.config.publish.space)


def fetch_space_problem(ctx: AppContext, api: ConfluenceApi) -> ConfigProblem | None:
    """A config problem on `publish.space` when that space does not exist (one request)."""
    try:
        api.require_space()
    except NotFoundError:
        return ConfigProblem(str(ctx.settings.goldenthread_config), ctx.lines.get("publish.space"), "publish.space",
                             f"Confluence space {api.space_key!r} does not exist at {api.handle.base_url} "
                             "(or CONFLUENCE_USER may not see it)")
    return None


def _open_api(ctx: AppContext, confluence: ConfluenceHandle | None) -> ConfluenceApi:
    """Pages are only ever published to the configured space: a missing one is a config error
    naming the line (exit 2), before anything is written."""
    api = open_confluence_api(ctx, confluence)
    # a space an earlier publish found is not looked up again (`check` still looks every time)
    api.known_space_id = ctx.store.load_state(_space_state(api))
    problem = fetch_space_problem(ctx, api)
    if problem is not None:
        raise ConfigError([problem])
    return api


def _space_state(api: ConfluenceApi) -> str:
    return f"confluence.space_id:{api.handle.base_url}:{api.space_key}"


def _remember_space(ctx: AppContext, api: ConfluenceApi) -> None:
    """Keep the space a run looked up (Cloud: its id; Data Center: that it exists), so an
    unchanged run costs one request per page."""
    if api.new_space_id is not None:
        ctx.store.save_state(_space_state(api), api.new_space_id, ctx.clock())


def publish_models(ctx: AppContext, api: ConfluenceApi, models: Sequence[PageModel], *,
                   dry_run: bool = False, adopt: Collection[str] = (),
                   command: str = "goldenthread publish") -> PublishResult:
    """Every page it can: a page that fails is reported as `failed` (with why) and the next one
    is still attempted. A problem with the config (the space, say) still stops the run.
    `adopt`: titles of existing pages goldenthread did not create that it may take over."""
    titles = {m.title for m in models}
    stray = sorted(set(adopt) - titles)
    if stray:
        raise BadUsage(f"--adopt {stray[0]!r}: `{command}` publishes no page with that title "
                       f"(its pages: {', '.join(sorted(titles))})")
    publisher = _Publisher(ctx, api, dry_run=dry_run, adopt=adopt, command=command)
    result = PublishResult(models=list(models))
    with ctx.reporter.task("publish", total=len(models)) as task:
        for model in models:
            try:
                result.pages.append(publisher.publish(model))
            except (BadUsage, ConfigError):
                raise
            except Exception as exc:  # noqa: BLE001 - one page's failure must not cost the others
                mine = isinstance(exc, (AtlassianError, GoldenthreadError))
                why = str(exc) if mine else f"{type(exc).__name__}: {exc}"
                log.error("publishing %r failed: %s", model.title, why)
                result.pages.append(PageOutcome(model.key, model.title, "failed", note=why[:500]))
            task.advance()
    return result


def publish_pages(ctx: AppContext, *, dry_run: bool = False, confluence: ConfluenceHandle | None = None,
                  pages: Sequence[str] | None = None, adopt: Collection[str] = ()) -> PublishResult:
    """Render and upsert the live pages (default: every one of `reports.pages.LIVE_PAGES`), for the
    CLI, demo, scheduler and webhook worker."""
    pages = tuple(LIVE_PAGES) if pages is None else tuple(pages)
    api = _open_api(ctx, confluence)
    data = load_page_data(ctx, ctx.clock(), api.handle.deployment)
    unknown = [p for p in pages if p not in LIVE_PAGES]
    if unknown:
        raise BadUsage(f"unknown page(s) {unknown}; expected any of {', '.join(LIVE_PAGES)}")
    models = [model for p in pages for model in LIVE_PAGES[p](data)]
    result = publish_models(ctx, api, models, dry_run=dry_run, adopt=adopt)
    _remember_space(ctx, api)
    return result


def publish_monthly_report(ctx: AppContext, month: str, *, dry_run: bool = False,
                           confluence: ConfluenceHandle | None = None, adopt: Collection[str] = ()) -> PublishResult:
    """The month's report, then its minutes page (created once: see `confluence.minutes`); the
    report lists the open actions of the previous month's minutes."""
    parse_month(month)
    api = _open_api(ctx, confluence)
    data = load_page_data(ctx, month_as_of(month, ctx.clock()), api.handle.deployment)
    meeting = fetch_meeting(ctx, api, data, month)
    data = dataclasses.replace(data, meeting=meeting)
    result = publish_models(ctx, api, [build(data, month) for build in MONTHLY_PAGES.values()], dry_run=dry_run,
                            adopt=adopt, command="goldenthread report monthly")
    report = next(p for p in result.pages if p.key == f"monthly:{month}")
    if report.outcome == "failed":  # the minutes live under the report
        result.pages.append(PageOutcome(f"minutes:{month}", meeting.minutes_title, "failed",
                                        note="not attempted: its parent, the report, failed"))
    else:
        result.pages.append(publish_minutes(ctx, api, data, meeting, report, dry_run=dry_run))
    _remember_space(ctx, api)
    return result
