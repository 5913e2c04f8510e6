"""What every page builder shares: the page model, the data computed once per run, formatting.

Every page is a `PageModel` whose storage comes from `reports.storage` (the only emitter of
markup). Content is deterministic for the same data: nothing reads the wall clock. The only
stamp, "data as of <time of the last change in the backlog, at most the as-of time>", sits in a footer that is kept out
of the content hash, so a sync that touched nothing the page shows does not rewrite the page.

Tests: tests/reports/test_pages.py
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from goldenthread.mappings.config import Config
from goldenthread.mappings.deployment import DeploymentKind
from goldenthread.mappings.records import Issue, StatusCategory, StatusChange
from goldenthread.reports import storage as s
from goldenthread.reports.format import fmt_stamp, is_missing
from goldenthread.reports.frames import build_frames_from_tables, to_utc
from goldenthread.reports.goals import OutcomeTables
from goldenthread.reports.pages.meeting import Meeting
from goldenthread.reports.scoring import CLASS_LABELS
from goldenthread.reports.summary import Report, compute_report
from goldenthread.reports.tables import build_tables, compute_project_names, compute_user_names

LABELS: tuple[str, ...] = ("goldenthread",)
NEEDS_SCORING_LIMIT = 100
STAGE_COLOURS: dict[str, s.Colour] = {"todo": "Grey", "in_progress": "Blue", "done": "Green", "discarded": "Grey"}


def row_dicts(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """`frame.to_dict("records")`, typed by its column names (every report frame's are str)."""
    into: dict[str, Any] = {}  # pandas builds each row as type(into)()
    return frame.to_dict("records", into=into)


GroupHeads = dict[tuple[Any, ...], tuple[int, list[dict[str, Any]]]]


def compute_group_positions(frame: pd.DataFrame, by: Sequence[str]) -> dict[tuple[Any, ...], list[int]]:
    """Row positions of each group of the `by` columns, in row order; a missing value is None
    in the key."""
    out: dict[tuple[Any, ...], list[int]] = {}
    for key, positions in frame.groupby(list(by), sort=False, dropna=False).indices.items():
        parts = key if isinstance(key, tuple) else (key,)
        out[tuple(None if is_missing(k) else k for k in parts)] = np.asarray(positions).tolist()
    return out


def build_group_heads(frame: pd.DataFrame, by: Sequence[str], limit: int) -> GroupHeads:
    """Per group of the `by` columns (see `compute_group_positions`): its row count and its
    first `limit` rows as dicts. Pages list a few items per group out of thousands: only those
    rows become dicts, in one pass, not one `to_dict` per group."""
    groups = compute_group_positions(frame, by)
    keep = sorted(p for positions in groups.values() for p in positions[:limit])
    rows = dict(zip(keep, row_dicts(frame.iloc[keep]), strict=True))
    return {key: (len(positions), [rows[p] for p in positions[:limit]]) for key, positions in groups.items()}


@dataclass(frozen=True)
class PageModel:
    """One Confluence page. `storage` = body + footer; the hash covers `body` + attachments."""

    key: str  # "roadmap" | "whats_new" | "monthly:YYYY-MM" (the store's page_key)
    title: str
    parent_title: str
    body: str
    footer: str = ""
    attachments: Mapping[str, bytes] = field(default_factory=dict)
    labels: tuple[str, ...] = LABELS
    people: Mapping[str, str] = field(default_factory=dict)  # id -> name, for the HTML preview
    grandparent_title: str | None = None  # monthly reports: parent "Stakeholder reports" sits under this

    @property
    def storage(self) -> str:
        return self.body + self.footer

    @property
    def content_hash(self) -> str:
        return compute_content_hash(self.body, self.attachments)

    def attachment_hashes(self) -> dict[str, str]:
        return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(self.attachments.items())}


def compute_content_hash(body: str, attachments: Mapping[str, bytes]) -> str:
    h = hashlib.sha256(body.encode("utf-8"))
    for name, data in sorted(attachments.items()):
        h.update(b"\0" + name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()


@dataclass(frozen=True)
class PageData:
    """What every page builder needs, computed once per run."""

    config: Config
    report: Report
    data_as_of: datetime | None  # newest issue update / status change: the footer stamp
    deployment: DeploymentKind | None = None
    meeting: Meeting | None = None  # the monthly report's: actions read from the last minutes
    names: Mapping[str, str] = field(default_factory=dict)  # user id -> name as Jira gave it
    projects: Mapping[str, str] = field(default_factory=dict)  # project key -> name as Jira gave it

    def project_name(self, key: str) -> str:
        """What readers call a project: its Jira name, else (not synced since the store kept
        names) its key."""
        return self.projects.get(key) or key

    @cached_property
    def mentioner(self) -> s.Mentioner:
        return s.Mentioner({p.id: p.name for p in self.config.stakeholders.people}, self.deployment)

    @cached_property
    def credited(self) -> dict[str, tuple[str, ...]]:
        """Issue key -> the ids of its stakeholders (field ∪ rules: the report's column)."""
        issues = self.report.frames.issues
        return dict(zip(issues["key"].tolist(), issues["stakeholder_ids"].tolist(), strict=True))

    @cached_property
    def people(self) -> dict[str, str]:
        """User id -> name: configured people first, then the names Jira gave, else the id."""
        out = {p.id: p.name or p.id for p in self.config.stakeholders.people}
        for uid, name in self.names.items():
            out.setdefault(uid, name)
        for ids in self.credited.values():
            for uid in ids:
                out.setdefault(uid, uid)
        return out


def build_page_data(
    issues: Sequence[Issue],
    changes: Sequence[StatusChange],
    statuses: dict[str, StatusCategory],
    config: Config,
    as_of: datetime,
    deployment: DeploymentKind | None = None,
    outcome_tables: OutcomeTables | None = None,
) -> PageData:
    """`build_page_data_from_tables` from records (tests, and stores that only hand out records)."""
    issue_table, change_table = build_tables(issues, changes)
    return build_page_data_from_tables(
        issue_table, change_table, statuses, config, as_of, deployment, outcome_tables, build_user_names(issues),
        compute_project_names((i.project, i.project_name, i.updated) for i in issues),
    )  # fmt: skip


def build_page_data_from_tables(
    issue_table: pd.DataFrame,
    change_table: pd.DataFrame,
    statuses: dict[str, StatusCategory],
    config: Config,
    as_of: datetime,
    deployment: DeploymentKind | None = None,
    outcome_tables: OutcomeTables | None = None,
    names: Mapping[str, str] | None = None,
    projects: Mapping[str, str] | None = None,
) -> PageData:
    """The report at `as_of` from the plain tables a store hands over (the path `metrics` takes:
    no record object per issue), and the footer's stamp (`compute_data_as_of`)."""
    frames = build_frames_from_tables(issue_table, change_table, statuses, config, as_of)
    return PageData(
        config=config,
        report=compute_report(frames, config, as_of, outcome_tables),
        data_as_of=compute_data_as_of(issue_table, change_table, as_of),
        deployment=deployment,
        names=dict(names or {}),
        projects=dict(projects or {}),
    )


def compute_data_as_of(issue_table: pd.DataFrame, change_table: pd.DataFrame, as_of: datetime) -> datetime | None:
    """The footer's "data as of": the newest issue update or status change, but never later
    than `as_of`: a page built for a past time (a month's report, `--as-of`) shows the backlog
    as it stood then, whatever the store learnt since."""
    stamps = [pd.Timestamp(v) for v in (issue_table["updated"].max(), change_table["at"].max())
              if not is_missing(v)]  # fmt: skip
    if not stamps:
        return None
    return min(max(stamps), to_utc(as_of)).to_pydatetime()


def build_user_names(issues: Sequence[Issue]) -> dict[str, str]:
    """Display names Jira gave for the users the issues name (`tables.compute_user_names`)."""
    return compute_user_names(
        ((u.id, u.name) for i in issues for u in i.stakeholders),
        ((i.reporter.id, i.reporter.name) for i in issues if i.reporter is not None),
        ((i.assignee.id, i.assignee.name) for i in issues if i.assignee is not None),
    )


def issue_ref(row: Mapping[str, object]) -> s.Inline:
    return s.jira_link(str(row["key"]), "" if is_missing(row.get("url")) else str(row["url"]))


def stage_lozenge(stage: str, status: object) -> ET.Element:
    title = str(status) if not is_missing(status) else stage.replace("_", " ")
    return s.status_lozenge(title, STAGE_COLOURS.get(stage, "Grey"))


CLASS_COLOURS: dict[str, s.Colour] = {
    "quick_win": "Green", "strategic": "Purple", "fill_in": "Grey", "reconsider": "Yellow",
}  # fmt: skip


def class_lozenge(klass: object) -> ET.Element | None:
    """The value/effort class as a subtle lozenge (None for an unscored item)."""
    if not isinstance(klass, str) or klass not in CLASS_COLOURS:
        return None
    return s.status_lozenge(CLASS_LABELS[klass], CLASS_COLOURS[klass], subtle=True)


def names_of(data: PageData, key: str, *, mention: bool = False) -> list[s.Inline]:
    """Stakeholders of an issue as inline content: names, or @mentions (configured people only)."""
    people, names = data.mentioner, data.names
    out: list[s.Inline] = []
    for i, uid in enumerate(data.credited.get(key, ())):
        if i:
            out.append(", ")
        out.append(people.mention(uid, names.get(uid, "")) if mention else people.name_of(uid, names.get(uid, "")))
    return out or ["—"]


def footer(data: PageData, extra: str = "") -> str:
    cfg = data.config
    text = [s.small([
        "Generated by goldenthread from Jira issues matching ",
        s.emphasis(cfg.jira.backlog_jql),
        f" · data as of {fmt_stamp(data.data_as_of)}",
        f" · {extra}" if extra else "",
        " · edits to this page are overwritten on the next publish.",
    ])]
    return s.render_storage([s.rule(), s.paragraph(text)])


def compute_list_limit(cap: int, budget: int, lists: int) -> int:
    """Items per list when `lists` lists share `budget` items: at most `cap`, at least 3. Pages
    with a list per person or per objective stay small however many there are."""
    return max(3, min(cap, budget // max(1, lists)))


def more_line(shown: int, total: int, what: str) -> list[ET.Element]:
    if total <= shown:
        return []
    return [s.paragraph(s.emphasis(f"… and {total - shown} more {what} (see Jira for the full list)."))]


def build_parent_body(title: str) -> str:
    """Body of a parent page goldenthread creates when it is missing (written once, never updated)."""
    return s.render_storage([
        s.paragraph([s.strong(title), ": pages generated by goldenthread from the Jira backlog."]),
        s.children_macro(),
    ])


def people_of(data: PageData) -> dict[str, str]:
    """User id -> name (see `PageData.people`)."""
    return data.people
