"""Pure page models: Roadmap, What's new (here) and the monthly stakeholder report (monthly.py).

Every page is a `PageModel` whose storage comes from `reports.storage` (the only emitter of
markup). Content is deterministic for the same data: nothing reads the wall clock. The only
stamp, "data as of <time of the last change in the backlog>", sits in a footer that is kept out
of the content hash, so a sync that touched nothing the page shows does not rewrite the page.
"""

from __future__ import annotations

import hashlib
import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from goldenthread.mappings.config import Config
from goldenthread.mappings.records import Deployment, Issue, StatusCategory, StatusChange
from goldenthread.mappings.stakeholders import Stakeholder, build_stakeholder_plan, compute_stakeholders
from goldenthread.reports import storage as s
from goldenthread.reports.summary import Report, compute_all

LABELS: tuple[str, ...] = ("goldenthread",)
LATER_LIMIT = 150  # a 5,000-issue Later lane is unreadable; the rest is one JQL click away
NEEDS_SCORING_LIMIT = 200
STAGE_COLOURS: dict[str, s.Colour] = {"todo": "Grey", "in_progress": "Blue", "done": "Green", "discarded": "Grey"}


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
    stakeholders: Mapping[str, tuple[Stakeholder, ...]]  # issue key -> stakeholders (field ∪ rules)
    data_as_of: datetime | None  # newest issue update / status change: the footer stamp
    deployment: Deployment | None = None

    @property
    def mentioner(self) -> s.Mentioner:
        return s.Mentioner({p.id: p.name for p in self.config.stakeholders.people}, self.deployment)


def build_page_data(
    issues: Sequence[Issue],
    changes: Sequence[StatusChange],
    statuses: dict[str, StatusCategory],
    config: Config,
    as_of: datetime,
    deployment: Deployment | None = None,
) -> PageData:
    report = compute_all(issues, changes, statuses, config, as_of)
    plan = build_stakeholder_plan(config, deployment=deployment)
    stamps = [i.updated for i in issues] + [c.at for c in changes]
    return PageData(
        config=config,
        report=report,
        stakeholders=compute_stakeholders(issues, plan),
        data_as_of=max(stamps) if stamps else None,
        deployment=deployment,
    )


# --- small formatting helpers (shared with monthly.py) ---------------------------------------


def is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def fmt_number(value: object, digits: int = 1) -> str:
    if is_missing(value):
        return "—"
    text = f"{float(value):,.{digits}f}"  # type: ignore[arg-type]
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_days(value: object) -> str:
    return "—" if is_missing(value) else f"{fmt_number(value)} d"


def fmt_percent(value: object) -> str:
    return "—" if is_missing(value) else f"{float(value) * 100:.0f}%"  # type: ignore[arg-type]


def fmt_date(value: object) -> str:
    return "—" if is_missing(value) else pd.Timestamp(value).strftime("%-d %b %Y")  # type: ignore[arg-type]


def fmt_month(month: str) -> str:
    return pd.Period(month, freq="M").strftime("%B %Y")


def fmt_stamp(value: datetime | None) -> str:
    return "no data yet" if value is None else pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")


def issue_ref(row: Mapping[str, object]) -> s.Inline:
    return s.jira_link(str(row["key"]), "" if is_missing(row.get("url")) else str(row["url"]))


def stage_lozenge(stage: str, status: object) -> ET.Element:
    title = str(status) if not is_missing(status) else stage.replace("_", " ")
    return s.status_lozenge(title, STAGE_COLOURS.get(stage, "Grey"))


def class_lozenge(klass: object) -> ET.Element | None:
    if klass == "quick_win":
        return s.status_lozenge("quick win", "Green", subtle=True)
    if klass == "strategic":
        return s.status_lozenge("strategic", "Purple", subtle=True)
    return None


def names_of(data: PageData, key: str, *, mention: bool = False) -> list[s.Inline]:
    """Stakeholders of an issue as inline content: names, or @mentions (configured people only)."""
    people = data.mentioner
    out: list[s.Inline] = []
    for i, st in enumerate(data.stakeholders.get(key, ())):
        if i:
            out.append(", ")
        if mention:
            out.append(people.mention(st.id, st.name))
        else:
            out.append(people.name_of(st.id, st.name))
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


# --- Roadmap ---------------------------------------------------------------------------------

LANES: tuple[tuple[str, str, str], ...] = (
    ("now", "Now", "In progress."),
    ("next", "Next", "The highest-scored work not started yet."),
    ("later", "Later", "Everything else in the backlog, best score first."),
)


def _score_cell(row: Mapping[str, object]) -> list[s.Inline]:
    if bool(row["needs_scoring"]):
        return [s.status_lozenge("needs scoring", "Yellow", subtle=True)]
    inputs = row.get("inputs") or {}
    parts = ", ".join(f"{k} {fmt_number(v, 4)}" for k, v in dict(inputs).items())  # type: ignore[call-overload]
    why = s.expand("why", [
        s.paragraph(str(row["formula"])),
        s.paragraph(str(row["explanation"])),
        s.paragraph(s.small(f"inputs: {parts}")),
    ])  # fmt: skip
    return [s.strong(fmt_number(row["score"])), why]


def _roadmap_rows(data: PageData, rows: pd.DataFrame) -> list[list[s.Content]]:
    out: list[list[s.Content]] = []
    for row in rows.to_dict("records"):
        klass = class_lozenge(row["class"])
        target = "" if is_missing(row["target"]) else str(row["target"])
        out.append([
            [s.strong(str(row["rank"])), None],
            issue_ref(row),
            [str(row["summary"]), s.paragraph(s.small(target)) if target else None],
            [stage_lozenge(str(row["stage"]), row["status"]), " ", klass],
            _score_cell(row),
            names_of(data, str(row["key"])),
        ])  # fmt: skip
    return out


ROADMAP_HEADERS = ("#", "Issue", "Summary", "Status", "Score", "Stakeholders")
ROADMAP_WIDTHS = (40, 90, 380, 170, 140, 200)


def _objective_groups(rows: pd.DataFrame) -> list[tuple[str | None, pd.DataFrame]]:
    """Objective groups ordered by their best-ranked item; "no objective" last."""
    rows = rows.assign(_obj=rows["objective"].where(rows["objective"].notna(), None))
    named = [(str(o), g) for o, g in rows.groupby("_obj", sort=False, dropna=True)]
    named.sort(key=lambda og: (int(og[1]["rank"].min()), og[0]))
    rest = rows.loc[rows["_obj"].isna()]
    return [*named, *([(None, rest)] if len(rest) else [])]


def build_roadmap_page(data: PageData) -> PageModel:
    cfg = data.config
    scores = data.report.scores
    counts = scores["lane"].value_counts()
    unscored = scores.loc[scores["needs_scoring"]]
    quick = int(scores["class"].eq("quick_win").sum())
    strategic = int(scores["class"].eq("strategic").sum())
    blocks: list[ET.Element] = [
        s.panel("info", [
            s.paragraph([
                s.strong("The golden thread: "),
                "every item below is grouped by the objective it serves. Scores use the ",
                s.strong(cfg.prioritisation.model.upper()), " model; open ", s.emphasis("why"),
                " under a score to see how it was computed.",
            ]),
            s.paragraph([
                s.status_lozenge(f"now {int(counts.get('now', 0))}", "Blue"), " ",
                s.status_lozenge(f"next {int(counts.get('next', 0))}", "Green"), " ",
                s.status_lozenge(f"later {int(counts.get('later', 0))}", "Grey"), " ",
                s.status_lozenge(f"needs scoring {len(unscored)}", "Yellow"), "   ",
                class_lozenge("quick_win"), f" {quick} quick wins (effort ≤ "
                f"{fmt_number(cfg.prioritisation.quick_win_max_effort)})   ",
                class_lozenge("strategic"), f" {strategic} strategic",
            ]),
        ], title="Roadmap"),
        s.toc(3),
    ]  # fmt: skip
    for lane, name, blurb in LANES:
        rows = scores.loc[scores["lane"].eq(lane)]
        blocks.append(s.heading(2, f"{name} ({len(rows)})"))
        blocks.append(s.paragraph(s.small(blurb)))
        if rows.empty:
            blocks.append(s.paragraph(s.emphasis("Nothing here right now.")))
            continue
        shown = rows.head(LATER_LIMIT) if lane == "later" else rows
        for objective, group in _objective_groups(shown):
            title = f"{name} · {objective}" if objective else f"{name} · no objective set"
            blocks.append(s.heading(3, title))
            blocks.append(s.table(ROADMAP_HEADERS, _roadmap_rows(data, group), widths=ROADMAP_WIDTHS))
        blocks.extend(more_line(len(shown), len(rows), "items in Later"))

    blocks.append(s.heading(2, f"Needs scoring ({len(unscored)})"))
    if unscored.empty:
        blocks.append(s.paragraph("Every open item has a score."))
    else:
        shown = unscored.head(NEEDS_SCORING_LIMIT)
        table = s.table(
            ("Issue", "Summary", "Lane", "Missing"),
            [[issue_ref(r), str(r["summary"]), str(r["lane"]), ", ".join(r["missing"]) or "—"]
             for r in shown.to_dict("records")],
        )  # fmt: skip
        blocks.append(s.panel("warning", [
            s.paragraph("These items cannot be ranked until the missing fields are filled in Jira."),
            table, *more_line(len(shown), len(unscored), "unscored items"),
        ]))  # fmt: skip
    return PageModel(
        key="roadmap",
        title=cfg.publish.roadmap,
        parent_title=cfg.publish.parent,
        body=s.render_storage(blocks),
        footer=footer(data, f"model {cfg.prioritisation.model}"),
        people=_people(data),
    )


def _people(data: PageData) -> dict[str, str]:
    out = {p.id: p.name or p.id for p in data.config.stakeholders.people}
    for sts in data.stakeholders.values():
        for st in sts:
            out.setdefault(st.id, st.name or st.id)
    return out


# --- What's new ------------------------------------------------------------------------------


def build_whats_new_page(data: PageData, months: int = 12) -> PageModel:
    cfg = data.config
    lead = data.report.outcomes.lead_times
    last = data.report.as_of.tz_localize(None).to_period("M")
    window = {(last - i).strftime("%Y-%m") for i in range(months)}
    shipped = lead.loc[lead["completed_month"].isin(window)]
    blocks: list[ET.Element] = [
        s.panel("tip", s.paragraph([
            f"Shipped internal-product work of the last {months} months, newest first: ",
            s.strong(f"{len(shipped)} items"), ". Each item names the objective it served and ",
            "credits the stakeholders who asked for it.",
        ]), title="What's new"),
    ]  # fmt: skip
    if shipped.empty:
        blocks.append(s.paragraph(s.emphasis(f"Nothing shipped in the last {months} months yet.")))
    for month, group in shipped.groupby("completed_month", sort=False):
        blocks.append(s.heading(2, f"{fmt_month(str(month))} · {len(group)} shipped"))
        rows = [
            [fmt_date(r["completed_at"]), issue_ref(r), str(r["summary"]),
             "—" if is_missing(r["objective"]) else str(r["objective"]),
             names_of(data, str(r["key"])), fmt_days(r["lead_time_days"])]
            for r in group.to_dict("records")
        ]  # fmt: skip
        blocks.append(s.table(("Shipped", "Issue", "Summary", "Objective served", "Requested by", "Lead time"),
                              rows, widths=(100, 90, 360, 180, 200, 90)))
    return PageModel(
        key="whats_new",
        title=cfg.publish.whats_new,
        parent_title=cfg.publish.parent,
        body=s.render_storage(blocks),
        footer=footer(data),
        people=_people(data),
    )
