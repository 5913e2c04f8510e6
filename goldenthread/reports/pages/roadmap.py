"""The Roadmap page: Now / Next / Later, grouped by objective, each score with its "why".

Tests: tests/reports/test_pages.py
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

import pandas as pd

from goldenthread.reports import storage as s
from goldenthread.reports.pages.common import (
    LATER_LIMIT,
    NEEDS_SCORING_LIMIT,
    PageData,
    PageModel,
    class_lozenge,
    fmt_number,
    footer,
    is_missing,
    issue_ref,
    more_line,
    names_of,
    people_of,
    row_dicts,
    stage_lozenge,
)

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
        s.paragraph([s.strong("Class: "), str(row["class_reason"])]),
    ])  # fmt: skip
    return [s.strong(fmt_number(row["score"])), why]


def _roadmap_rows(data: PageData, rows: pd.DataFrame) -> list[list[s.Content]]:
    out: list[list[s.Content]] = []
    for row in row_dicts(rows):
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


def _class_matrix(classes: Mapping[str, Any]) -> list[ET.Element]:
    """The value/effort matrix: how many open items fall in each class, and what the classes
    mean (the figures are the JSON's `classes`)."""
    limit = fmt_number(classes["quick_win_max_effort"])
    counts = classes["counts"]

    def cell(klass: str) -> list[s.Inline]:
        return [class_lozenge(klass), f" {counts[klass]}"]

    threshold = classes["high_value_min"]
    if threshold is None:
        return [s.paragraph(s.small("Classes (quick win, strategic, fill-in, reconsider) appear "
                                    "once items are scored."))]  # fmt: skip
    high = fmt_number(threshold)
    source = ("set in prioritisation.high_value_min" if classes["threshold_from"] == "config"
              else f"the median value of the {classes['scored']} open scored items")  # fmt: skip
    table = s.table(
        ("", f"Small effort (≤ {limit})", f"Larger effort (> {limit})"),
        [[s.strong(f"High value (≥ {high})"), cell("quick_win"), cell("strategic")],
         [s.strong(f"Low value (< {high})"), cell("fill_in"), cell("reconsider")]],
        widths=(200, 200, 200),
    )  # fmt: skip
    return [table, s.paragraph(s.small(
        f"Value is an item's score before dividing by effort, times its objective weight; high "
        f"value means at least {high} ({source}). Open why under a score to see an item's class."))]


def build_roadmap_page(data: PageData) -> PageModel:
    cfg = data.config
    scores = data.report.scores
    counts = scores["lane"].value_counts()
    unscored = scores.loc[scores["needs_scoring"]]
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
                s.status_lozenge(f"needs scoring {len(unscored)}", "Yellow"),
            ]),
            *_class_matrix(data.report.summary["classes"]),
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
             for r in row_dicts(shown)],
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
        people=people_of(data),
    )


