"""The monthly stakeholder report page (pure): headline metrics vs the previous month, the three
charts as attachments, a section per stakeholder in power/interest order, decisions needed, and
an agenda/minutes section for the monthly meeting.

Build the `PageData` for month M with `as_of = month_as_of(M)` (the last second of M, or earlier
when M is still running), so "this month" in every metric means M.

Tests: tests/reports/test_pages.py
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import pandas as pd

from goldenthread.mappings.stakeholders import QUADRANT_LABELS, compute_people_order, compute_quadrant, id_key
from goldenthread.reports import charts
from goldenthread.reports import storage as s
from goldenthread.reports.metrics import compute_percentiles
from goldenthread.reports.months import month_as_of, month_end, parse_month, previous_month
from goldenthread.reports.snapshot import IN_PROGRESS
from goldenthread.reports.stakeholders import STAKEHOLDER_LISTS
from goldenthread.reports.frames import Frames, compute_frames_snapshot
from goldenthread.reports.pages.minutes import build_agenda, build_carried_actions, build_meeting
from goldenthread.reports.format import fmt_date, fmt_days, fmt_month, fmt_number, fmt_percent, fmt_points, is_missing
from goldenthread.reports.pages.common import (
    compute_list_limit,
    PageData,
    PageModel,
    footer,
    issue_ref,
    more_line,
    row_dicts,
    stage_lozenge,
)
from goldenthread.reports.pages.monthly_goals import build_goal_decisions, build_goal_headline

DECISIONS_LIMIT = 25
ITEMS_LIMIT = 15
STAKEHOLDER_ITEMS = 900  # items listed over every stakeholder's three lists: keeps the page small
MINUTES_HEADING = "Meeting minutes"
QUADRANT_COLOURS: dict[str, s.Colour] = {
    "manage_closely": "Red", "keep_satisfied": "Yellow", "keep_informed": "Blue", "monitor": "Grey",
}  # fmt: skip
CHART_FILES = ("throughput.png", "lead-time.png", "wip-age.png")


def compute_wip_count_at(frames: Frames, at: pd.Timestamp) -> int:
    """Issues in an in_progress stage at `at` (not after frames.as_of), replayed from the
    status history by the same snapshot rules as the frames themselves."""
    snap = compute_frames_snapshot(frames, at)
    return int(((snap.stage == IN_PROGRESS) & snap.exists).sum())


def _delta(cur: object, prev: object, *, lower_is_better: bool, kind: str) -> s.Content:
    if is_missing(cur) or is_missing(prev):
        return "—"
    diff = float(cur) - float(prev)  # type: ignore[arg-type]
    if abs(diff) < 1e-9:
        return s.status_lozenge("= same", "Grey", subtle=True)
    better = diff < 0 if lower_is_better else diff > 0
    arrow = "▲" if diff > 0 else "▼"
    text = {"days": f"{fmt_number(abs(diff))} d", "pct": fmt_points(abs(diff))}.get(kind, fmt_number(abs(diff)))
    return s.status_lozenge(f"{arrow} {text}", "Green" if better else "Red")


def _at_label(data: PageData, month: str) -> str:
    """When the report's snapshot was taken: "month end", or the day of a month still running."""
    as_of = data.report.as_of
    return "month end" if as_of == month_end(month) else fmt_date(as_of)


def _headline(data: PageData, month: str) -> list[ET.Element]:
    report = data.report
    cmp = report.outcomes.current_month
    cur, prev = cmp["current"], cmp["previous"]
    prev_end = month_end(previous_month(month))
    wip_now = len(report.outcomes.wip)  # the snapshot's WIP: the JSON's wip.count at this as_of
    wip_prev = compute_wip_count_at(report.frames, prev_end)
    rows: list[tuple[str, object, object, Callable[[object], str], bool, str]] = [
        ("Shipped (throughput)", cur["completed"], prev["completed"], str, False, "n"),
        ("Lead time p50", cur["lead_time_p50"], prev["lead_time_p50"], fmt_days, True, "days"),
        ("Lead time p85", cur["lead_time_p85"], prev["lead_time_p85"], fmt_days, True, "days"),
        ("SLA compliance", cur["sla_compliance"], prev["sla_compliance"], fmt_percent, False, "pct"),
        (f"Work in progress at {_at_label(data, month)}", wip_now, wip_prev, str, True, "n"),
    ]
    goal_rows, goal_note = build_goal_headline(data, month, prev_end)
    rows += goal_rows
    table = s.table(
        ("Outcome", fmt_month(month), fmt_month(str(cmp["previous_month"])), "Change"),
        [[s.strong(name), s.strong(fmt(c)), fmt(p), _delta(c, p, lower_is_better=low, kind=kind)]
         for name, c, p, fmt, low, kind in rows],
        widths=(260, 160, 160, 140),
    )  # fmt: skip
    return [s.heading(2, "Headline outcomes"), table,
            s.paragraph(s.small("Lead time: created → done, for the items shipped in the month. "
                                "SLA: share of those shipped within their issue type's SLA. " + goal_note))]  # fmt: skip


def compute_chart_titles(data: PageData, month: str) -> dict[str, str]:
    """What each chart shows, in words (its title and its caption): the window and how much of
    the data it holds, so a chart is never read as the month's headline figure."""
    out = data.report.outcomes
    # short month names: a chart title has room for about 60 characters
    first, last = ((parse_month(month) - 11).strftime("%b %Y"), parse_month(month).strftime("%b %Y"))
    shipped = out.lead_times["completed_month"].isin(_window(month)).sum()
    wip = len(out.wip)
    shown = (f"top {charts.WIP_CHART_LIMIT} of {wip}" if wip > charts.WIP_CHART_LIMIT
             else f"all {wip}")  # fmt: skip
    return {
        "throughput.png": f"Shipped per month, {first} – {last} (last 12 months)",
        "lead-time.png": f"Lead time, {shipped} items shipped {first} – {last} (last 12 "
                         f"months), days",
        "wip-age.png": f"Work in progress at {_at_label(data, month)} by age: {shown} items, days",
    }


def _window(month: str) -> set[str]:
    last = parse_month(month)
    return {(last - i).strftime("%Y-%m") for i in range(12)}


def build_month_charts(data: PageData, month: str) -> dict[str, bytes]:
    out = data.report.outcomes
    titles = compute_chart_titles(data, month)
    window = _window(month)
    thr = out.throughput.loc[out.throughput["month"].isin(window)]
    lead = out.lead_times.loc[out.lead_times["completed_month"].isin(window), "lead_time_days"]
    pct = compute_percentiles(lead)
    return {
        "throughput.png": charts.render_throughput_chart(thr, titles["throughput.png"]),
        "lead-time.png": charts.render_lead_time_chart(lead, pct["p50"], pct["p85"],
                                                       titles["lead-time.png"]),  # fmt: skip
        "wip-age.png": charts.render_wip_age_chart(out.wip, titles["wip-age.png"]),
    }


def _item_list(rows: list[dict[str, object]], total: int, empty: str, extra: str, limit: int) -> list[ET.Element]:
    if not rows:
        return [s.paragraph(s.small(empty))]
    items = [[issue_ref(r), " ", str(r["summary"]), s.small(f" {r[extra]}") if r.get(extra) else None]
             for r in rows[:limit]]  # fmt: skip
    return [s.bullet_list(items), *more_line(limit, total, "items")]


def _stakeholder_sections(data: PageData, month: str) -> list[ET.Element]:
    work = data.report.stakeholder_work  # the JSON's stakeholders counts are of these very lists
    by_person: dict[str, list[tuple[str, int]]] = {}
    for uid, name, row in zip(work.pairs["id"].tolist(), work.pairs["list"].tolist(),
                              work.pairs["row"].tolist(), strict=True):  # fmt: skip
        by_person.setdefault(id_key(uid), []).append((name, row))
    blocks: list[ET.Element] = [s.heading(2, "Stakeholders")]
    people = compute_people_order(data.config.stakeholders.people)
    if not people:
        blocks.append(s.paragraph(s.emphasis("No stakeholders are configured (stakeholders.people).")))
    mentioner = data.mentioner
    # many configured people get shorter lists, so the page stays readable (and small)
    limit = compute_list_limit(ITEMS_LIMIT, STAKEHOLDER_ITEMS, 3 * len(people))
    for person in people:
        mine = by_person.get(id_key(person.id), [])
        rows = {name: sorted(r for n, r in mine if n == name) for name in STAKEHOLDER_LISTS}
        # only the rows shown become dicts
        delivered, doing, nxt = (_list_rows(work.lists[name], rows[name], limit) for name in STAKEHOLDER_LISTS)
        quadrant = compute_quadrant(person)
        blocks.append(s.heading(3, person.name or person.id))
        blocks.append(s.paragraph([
            mentioner.mention(person.id, person.name), "  ",
            s.status_lozenge(QUADRANT_LABELS[quadrant], QUADRANT_COLOURS[quadrant]),
            f"  {len(rows['delivered'])} delivered · {len(rows['now'])} in progress · {len(rows['next'])} next",
        ]))  # fmt: skip
        blocks.append(s.table(("Delivered this month", "In progress", "Next"), [[
            _item_list(delivered, len(rows["delivered"]), "Nothing delivered this month.", "when", limit),
            _item_list(doing, len(rows["now"]), "Nothing in progress.", "st", limit),
            _item_list(nxt, len(rows["next"]), "Nothing planned next.", "st", limit),
        ]], widths=(330, 330, 330)))  # fmt: skip
    return blocks


def _list_rows(frame: pd.DataFrame, rows: list[int], limit: int) -> list[dict[str, object]]:
    out = row_dicts(frame.iloc[rows[:limit]])
    for r in out:
        if "completed_at" in r and not is_missing(r["completed_at"]):
            r["when"] = f"shipped {fmt_date(r['completed_at'])}"
    return out


def _decisions(data: PageData, month: str) -> list[ET.Element]:
    dec = data.report.decisions
    at = _at_label(data, month)
    stamp = data.report.summary["as_of"]
    blocks: list[ET.Element] = [
        s.heading(2, "Decisions needed"),
        s.paragraph(s.small(
            f"Counted at {at}: the items open then, and those of them older than their issue "
            f"type's SLA. `goldenthread metrics` counts the same way at its own time (now, by "
            f"default); `--as-of {stamp}` gives this report's numbers.")),
    ]  # fmt: skip
    for kind, title, what in (("unscored", "Items that need scoring", "unscored items"),
                              ("past_sla", "Open items past their SLA", "items past SLA")):  # fmt: skip
        rows = row_dicts(dec.loc[dec["kind"].eq(kind)])
        blocks.append(s.heading(3, f"{title} at {at} ({len(rows)})"))
        if not rows:
            blocks.append(s.paragraph(s.small("None. ")))
            continue
        blocks.append(s.table(("Issue", "Summary", "Stage", "Why"), [
            [issue_ref(r), str(r["summary"]), stage_lozenge(str(r["stage"]), None), str(r["reason"])]
            for r in rows[:DECISIONS_LIMIT]
        ], widths=(90, 420, 130, 350)))  # fmt: skip
        blocks.extend(more_line(DECISIONS_LIMIT, len(rows), what))
    return blocks


def _meeting(data: PageData, month: str) -> list[ET.Element]:
    meeting = data.meeting or build_meeting(data, month)
    return [
        s.heading(2, "Monthly stakeholder meeting"),
        s.heading(3, "Agenda"),
        build_agenda(data, meeting),
        s.heading(3, f"Actions from the {fmt_month(meeting.previous_month)} meeting"),
        *build_carried_actions(data, meeting),
        s.heading(3, MINUTES_HEADING),
        s.paragraph([
            "Attendees, decisions and actions are recorded on ", s.page_link(meeting.minutes_title),
            ", a page goldenthread creates once and never overwrites.",
        ]),
    ]  # fmt: skip


def build_monthly_report_page(data: PageData, month: str, chart_images: dict[str, bytes] | None = None) -> PageModel:
    """The report for `month` ('YYYY-MM'): every section is the snapshot `data` was computed
    at, which must be `month_as_of(month, ...)` (a ValueError otherwise)."""
    if data.report.as_of.strftime("%Y-%m") != parse_month(month).strftime("%Y-%m"):
        raise ValueError(f"the report for {month} needs data as of that month (month_as_of), "
                         f"not as of {data.report.as_of.isoformat()}")  # fmt: skip
    cfg = data.config
    images = build_month_charts(data, month) if chart_images is None else chart_images
    chart_blocks: list[ET.Element] = [s.heading(2, "Charts")]
    captions = compute_chart_titles(data, month)
    captions["lead-time.png"] += (f"; the headline's lead times are for the items shipped in "
                                  f"{fmt_month(month)} alone")  # fmt: skip
    for name in CHART_FILES:
        caption = captions[name]
        if name in images:
            chart_blocks += [s.paragraph(s.image(name, width=760, alt=caption)), s.paragraph(s.small(caption))]
    blocks: list[ET.Element] = [
        s.panel("info", s.paragraph([
            "Monthly report on the internal-product backlog for ", s.strong(fmt_month(month)),
            " (UTC calendar month): outcomes against the previous month, what each stakeholder got, "
            "and the decisions we need from you.",
        ]), title=f"Stakeholder report · {fmt_month(month)}"),
        *_headline(data, month),
        *chart_blocks,
        *_stakeholder_sections(data, month),
        *_decisions(data, month),
        *build_goal_decisions(data),
        *_meeting(data, month),
    ]  # fmt: skip
    return PageModel(
        key=f"monthly:{month}",
        title=cfg.publish.monthly_report.format(month=month),
        parent_title=cfg.publish.monthly_parent,
        grandparent_title=cfg.publish.parent,
        body=s.render_storage(blocks),
        footer=footer(data, f"report for {month}"),
        attachments=images,
        people={p.id: p.name or p.id for p in cfg.stakeholders.people},
    )


__all__ = ["build_monthly_report_page", "month_as_of", "parse_month", "compute_wip_count_at"]
