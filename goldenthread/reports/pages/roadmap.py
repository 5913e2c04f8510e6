"""The Roadmap page: grouped by goal, then objective, each in Now / Next / Later; work linked to
no objective apart; each score with its "why" as a sentence; target quarters labelled and a
passed target quarter on an open item flagged.

Readable at any backlog size: an objective shows at most NOW_LIMIT items in progress and
`publish.later_limit` in Later, the whole page at most ROW_BUDGET rows (objectives past it show
their counts only), and what is left out is one click away as a Jira search. A 20,000-issue
backlog stays well under 500 KB (tests/reports/test_page_sizes.py).

Tests: tests/reports/test_pages.py, tests/reports/test_roadmap_goals.py, tests/reports/test_roadmap_limits.py
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

import pandas as pd

from goldenthread.mappings.config import Config
from goldenthread.reports import jql
from goldenthread.reports import storage as s
from goldenthread.reports.explain import compute_score_sentences, compute_target_ends
from goldenthread.reports.goals import compute_canonical_objectives
from goldenthread.reports.format import fmt_number, is_missing
from goldenthread.reports.pages.common import (
    compute_group_positions,
    NEEDS_SCORING_LIMIT,
    PageData,
    PageModel,
    class_lozenge,
    footer,
    issue_ref,
    more_line,
    names_of,
    people_of,
    row_dicts,
    stage_lozenge,
)
from goldenthread.reports.pages.goals import kpi_lozenge

NOW_LIMIT = 50  # in-progress items per objective
# issue rows on the whole page (a row is up to ~1.4 KB of storage): with the Needs scoring table
# the page stays under ~450 KB whatever the backlog and the number of objectives
ROW_BUDGET = 200
LANES: tuple[tuple[str, str, str], ...] = (
    ("now", "Now", "In progress."),
    ("next", "Next", "The highest-scored work not started yet."),
    ("later", "Later", "Everything else in the backlog, best score first."),
)
UNLINKED = "Not linked to an objective"
OTHER_OBJECTIVES = "Objectives no goal lists"


def _score_cell(row: Mapping[str, object]) -> list[s.Inline]:
    if bool(row["needs_scoring"]):
        return [s.status_lozenge("needs scoring", "Yellow", subtle=True)]
    inputs = row.get("inputs") or {}
    parts = ", ".join(f"{k} {fmt_number(v, 4)}" for k, v in dict(inputs).items())  # type: ignore[call-overload]
    sentence: list[s.Inline] = [str(row["why"])]
    if not is_missing(row["serves"]):
        sentence += [s.emphasis(str(row["serves"])), str(row["then"])]
    else:
        sentence.append(str(row["then"]))
    why = s.expand("why", [
        s.paragraph(sentence),
        s.paragraph(s.small(str(row["formula"]))),
        s.paragraph(s.small(str(row["explanation"]))),
        s.paragraph(s.small(f"inputs: {parts}")),
        s.paragraph([s.strong("Class: "), str(row["class_reason"])]),
    ])  # fmt: skip
    return [s.strong(fmt_number(row["score"])), why]


def _target_cell(row: Mapping[str, object], as_of: pd.Timestamp) -> list[s.Inline]:
    if is_missing(row["target"]):
        return []
    target = str(row["target"])
    passed = not is_missing(row["target_end"]) and pd.Timestamp(row["target_end"]) <= as_of  # type: ignore[arg-type]
    if passed:
        return [s.status_lozenge(f"target {target} passed", "Red")]
    return [s.status_lozenge(f"target {target}", "Grey", subtle=True)]


def _roadmap_rows(data: PageData, rows: list[dict[str, Any]]) -> list[list[s.Content]]:
    out: list[list[s.Content]] = []
    as_of = data.report.as_of
    for row in rows:
        klass = class_lozenge(row["class"])
        target = _target_cell(row, as_of)
        out.append([
            [s.strong(str(row["rank"])), None],
            issue_ref(row),
            [str(row["summary"]), s.paragraph(target) if target else None],
            [stage_lozenge(str(row["stage"]), row["status"]), " ", klass],
            _score_cell(row),
            names_of(data, str(row["key"])),
        ])  # fmt: skip
    return out


ROADMAP_HEADERS = ("#", "Issue", "Summary", "Status", "Score", "Stakeholders")
ROADMAP_WIDTHS = (40, 90, 380, 170, 140, 200)


def build_roadmap_rows(data: PageData) -> pd.DataFrame:
    """The ranking with what the page shows besides: the objective as configured, its goal
    (None: no goal lists it) and the target quarter's end (the "why" sentences are added to the
    rows the page shows: `_shown_rows`)."""
    scores = data.report.scores
    objective = compute_canonical_objectives(scores["objective"], data.config)
    goal_of: dict[str, str] = {}
    for g in data.config.goals:
        for o in g.objectives:
            goal_of.setdefault(o.name, g.name)
    goal = objective.map(goal_of).astype(object)
    return scores.assign(objective=objective, goal=goal.where(goal.notna(), None),
                         target_end=compute_target_ends(scores["target"]))


def _objective_order(rows: pd.DataFrame, config: Config) -> list[tuple[str | None, list[str]]]:
    """(goal, its objectives) in config order, then the objectives no goal lists by their
    best-ranked item (goal None)."""
    present = set(rows["objective"].dropna())
    out: list[tuple[str | None, list[str]]] = []
    listed: set[str] = set()
    for goal in config.goals:
        names = [o.name for o in goal.objectives if o.name not in listed]
        listed.update(names)
        out.append((goal.name, [n for n in names if n in present]))
    others = rows.loc[rows["objective"].notna() & rows["goal"].isna()]
    best = others.groupby("objective", sort=False)["rank"].min().sort_values(kind="stable")
    if len(best):
        out.append((None, [str(n) for n in best.index]))
    return out


def _in_jira(data: PageData, lane: str, objective: str | None, label: str) -> s.Inline:
    """A link to the Jira search for a lane's items of one objective (None: of no objective)."""
    base = jql.build_jira_base(data.report.frames.issues["url"])
    clauses = [jql.build_stage_clause("in_progress" if lane == "now" else "todo")]
    found = jql.build_field_clause(data.config, "objective", objective)
    clauses += [found] if found else []
    url = jql.build_search_url(base, jql.build_backlog_jql(data.config, *clauses))
    return s.link(url, label) if url else label


Shown = dict[tuple[str | None, str], tuple[int, list[dict[str, Any]]]]


def _shown_rows(data: PageData, rows: pd.DataFrame, sections: list[str | None]) -> Shown:
    """(objective, lane) -> (its item count, the rows the page shows as dicts, "why" sentences
    added): each objective at most NOW_LIMIT in progress and `publish.later_limit` in Later, the
    page at most ROW_BUDGET rows, given out in page order. Only the shown rows are turned into
    dicts and sentences: a few hundred of a backlog's thousands."""
    limits = {"now": NOW_LIMIT, "later": data.config.publish.later_limit}
    groups = compute_group_positions(rows, ("objective", "lane"))
    budget, plan = ROW_BUDGET, {}
    for objective in sections:
        for lane, _, _ in LANES:
            positions = groups.get((objective, lane))
            if positions is None:
                continue
            take = positions[: max(0, min(limits.get(lane, len(positions)), budget))]
            budget -= len(take)
            plan[(objective, lane)] = (len(positions), take)
    keep = sorted(p for _, take in plan.values() for p in take)
    picked = rows.iloc[keep]
    picked = pd.concat([picked, compute_score_sentences(picked, data.config)], axis=1)
    by_pos = dict(zip(keep, row_dicts(picked), strict=True))
    return {key: (total, [by_pos[p] for p in take]) for key, (total, take) in plan.items()}


def _lane_blocks(data: PageData, shown: Shown, objective: str | None) -> list[ET.Element]:
    """Now / Next / Later of one objective: the shown rows, and a Jira search for the rest."""
    blocks: list[ET.Element] = []
    for lane, name, _ in LANES:
        if (objective, lane) not in shown:
            continue
        total, rows = shown[(objective, lane)]
        blocks.append(s.paragraph([s.strong(f"{name} ({total})")]))
        if rows:
            blocks.append(s.table(ROADMAP_HEADERS, _roadmap_rows(data, rows), widths=ROADMAP_WIDTHS))
        if len(rows) < total:
            more = total - len(rows)
            lead = f"… and {more} more {'item' if more == 1 else 'items'}: " if rows else ""
            blocks.append(s.paragraph(s.emphasis([lead, _in_jira(data, lane, objective, "see them in Jira"), "."])))
    return blocks


def _kpi_line(data: PageData, objective: str) -> list[ET.Element]:
    kpis = data.report.goals.kpis
    mine = kpis.loc[kpis["objective"].eq(objective).to_numpy()]
    if mine.empty:
        return []
    parts: list[s.Inline] = ["KPIs: "]
    for i, k in enumerate(row_dicts(mine)):
        parts += [", " if i else None, f"{k['kpi']} ", kpi_lozenge(str(k["status"]))]
    return [s.paragraph(s.small(parts))]


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
                "every item below is grouped by the goal and then the objective it serves, in Now, Next "
                "and Later. Scores use the ",
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
    rows = build_roadmap_rows(data)
    order = _objective_order(rows, cfg)
    lanes = _shown_rows(data, rows, [o for _, objectives in order for o in objectives] + [None])
    counts_of = rows["objective"].value_counts()
    for goal, objectives in order:
        blocks.append(s.heading(2, goal if goal is not None else OTHER_OBJECTIVES if cfg.goals else "Objectives"))
        if not objectives:
            blocks.append(s.paragraph(s.emphasis("No open work serves this goal's objectives right now.")))
        for objective in objectives:
            blocks.append(s.heading(3, f"{objective} ({int(counts_of.get(objective, 0))})"))
            blocks.extend(_kpi_line(data, objective))
            blocks.extend(_lane_blocks(data, lanes, objective))
    unlinked = int(rows["objective"].isna().sum())
    blocks.append(s.heading(2, f"{UNLINKED} ({unlinked})"))
    if not unlinked:
        blocks.append(s.paragraph("Every open item serves an objective."))
    else:
        blocks.append(s.paragraph(s.small("Open work that names no objective in Jira: it cannot be tied to a "
                                          "goal until someone sets one.")))  # fmt: skip
        blocks.extend(_lane_blocks(data, lanes, None))

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


