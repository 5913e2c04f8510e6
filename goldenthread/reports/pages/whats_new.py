"""What's new: release notes for the whole company, and one archive page per year.

Per month, newest first: a short "Highlights" list (the most valuable items shipped, by value:
the score before the division by effort), then the items grouped by product (`publish.product_by`: by default the
Jira project, headed by its name) and category (`publish.categories`: new | improved | fixed from the issue type). An item reads as
its release note (`fields.release_note`, turned into plain text at sync) or else its summary, how
long it took in words, and who asked for it: the requester first, at most two others, "and N more".

The page keeps the last `publish.whats_new_months` months; older months move to one page per year
(`publish.whats_new_archive`) under it. Each month shows at most MONTH_ITEMS items (ARCHIVE_ITEMS
on an archive page), the most valuable first; the rest is a Jira search, so no page grows with
the backlog.

Tests: tests/reports/test_whats_new.py, tests/reports/test_page_sizes.py
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from goldenthread.reports import jql
from goldenthread.reports import storage as s
from goldenthread.reports.format import fmt_duration, fmt_month, is_missing
from goldenthread.reports.pages.common import (
    PageData,
    PageModel,
    footer,
    issue_ref,
    people_of,
    row_dicts,
)
from goldenthread.reports.scoring import compute_values

HIGHLIGHTS = 5
MONTH_ITEMS = 100
ARCHIVE_ITEMS = 40
OTHERS_CREDITED = 2
TEXT_LIMIT = 400  # characters of a release note shown; the issue holds the rest
CATEGORIES: tuple[tuple[str, str], ...] = (("new", "New"), ("improved", "Improved"), ("fixed", "Fixed"))
OTHER_PRODUCT = "Other"


def compute_release_notes(data: PageData) -> pd.DataFrame:
    """Shipped items (done, with a completion date), most valuable first within each month,
    months newest first. Columns: key, url, text, product, category, value, completed_at,
    completed_month, lead_time_days, reporter_id, stakeholder_ids."""
    cfg = data.config
    df = data.report.frames.issues
    df = df.loc[(df["stage"].eq("done") & df["completed_at"].notna()).to_numpy()]
    note = df["release_note"].where(df["release_note"].notna() & df["release_note"].astype(bool), None)
    text = note.where(note.notna(), df["summary"]).astype(object)
    by = cfg.publish.product_by
    if by == "component":
        product = pd.Series([c[0] if c else None for c in df["components"].tolist()], index=df.index, dtype=object)
    elif by == "project":  # readers know "Procurement", not PROC
        keys = df["project"].astype(object)
        product = keys.map({k: data.project_name(str(k)) for k in keys.dropna().unique()})
    else:
        product = df[by].astype(object)
    kinds = df["issue_type"].astype(object)
    category = kinds.map({t: cfg.publish.category_of(str(t)) for t in kinds.dropna().unique()})
    out = pd.DataFrame({
        "key": df["key"], "url": df["url"], "text": text.map(_shorten),
        "product": product.where(product.notna() & product.astype(bool), OTHER_PRODUCT).astype(str),
        "category": category.fillna(cfg.publish.categories["default"]), "value": compute_values(df, cfg),
        "completed_at": df["completed_at"], "completed_month": df["completed_month"].astype(object),
        "lead_time_days": df["lead_time_days"], "reporter_id": df["reporter_id"],
        "stakeholder_ids": df["stakeholder_ids"],
    })  # fmt: skip
    # month newest first; within a month by value (unscored last), then newest shipped first
    at = out["completed_at"].array.asi8
    order = np.lexsort((-at, np.nan_to_num(-out["value"].to_numpy(), nan=np.inf), -_month_codes(out)))
    return out.take(order).reset_index(drop=True)


def _month_codes(df: pd.DataFrame) -> np.ndarray:
    months = pd.PeriodIndex(df["completed_month"].astype(str), freq="M")
    return np.asarray(months.year * 12 + months.month, dtype="int64")


def _shorten(text: object) -> str:
    words = " ".join(str(text).split())
    return words if len(words) <= TEXT_LIMIT else words[: TEXT_LIMIT - 1].rstrip() + "…"


def _credits(data: PageData, row: dict[str, object], names: dict[str, str]) -> str:
    """'requested by A, with B, C and 2 more': the requester first, then at most two others."""
    reporter = "" if is_missing(row["reporter_id"]) else str(row["reporter_id"])
    ids = [i for i in row["stakeholder_ids"] if i.casefold() != reporter.casefold()]  # type: ignore[attr-defined]

    def name(uid: str) -> str:
        return data.mentioner.name_of(uid, names.get(uid, ""))

    others = [name(i) for i in ids[:OTHERS_CREDITED]]
    more = len(ids) - len(others)
    tail = (", ".join(others) + (f" and {more} more" if more else "")) if others else ""
    if reporter:
        return f"requested by {name(reporter)}" + (f", with {tail}" if tail else "")
    return f"for {tail}" if tail else ""


def _item(data: PageData, row: dict[str, object], names: dict[str, str]) -> list[s.Inline]:
    facts = [fmt_duration(row["lead_time_days"]), _credits(data, row, names)]
    return [s.strong(str(row["text"])), " ", s.small([" — ", issue_ref(row), " · ",
                                                     " · ".join(f for f in facts if f)])]


def _in_jira(data: PageData, month: str, label: str) -> s.Inline:
    start = pd.Period(month, freq="M")
    clauses = [jql.build_stage_clause("done"), f'resolved >= "{start.start_time:%Y-%m-%d}"',
               f'resolved < "{(start + 1).start_time:%Y-%m-%d}"']  # fmt: skip
    url = jql.build_search_url(jql.build_jira_base(data.report.frames.issues["url"]),
                               jql.build_backlog_jql(data.config, *clauses, order_by="resolved DESC"))
    return s.link(url, label) if url else label


def build_month_blocks(data: PageData, month: str, items: pd.DataFrame, limit: int) -> list[ET.Element]:
    """One month: highlights, then products and categories; at most `limit` items (by value)."""
    names = people_of(data)
    rows = row_dicts(items.head(limit))  # once per month: items come most valuable first
    blocks: list[ET.Element] = [s.heading(2, f"{fmt_month(month)} · {len(items)} shipped")]
    # a few of the month's items, never most of them: at most HIGHLIGHTS, at most half
    top = [r for r in rows if not is_missing(r["value"])][: min(HIGHLIGHTS, len(items) // 2)]
    if top:
        blocks.append(s.panel("tip", s.bullet_list(
            [[s.strong(str(r["text"])), s.small(f" — {r['product']}")] for r in top]), title="Highlights"))  # fmt: skip
    by_product: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_product.setdefault(str(r["product"]), []).append(r)
    for product in sorted(by_product, key=lambda p: (p == OTHER_PRODUCT, p)):
        blocks.append(s.heading(3, product))
        for category, label in CATEGORIES:
            mine = [r for r in by_product[product] if r["category"] == category]
            if mine:
                blocks.append(s.paragraph(s.strong(label)))
                blocks.append(s.bullet_list([_item(data, r, names) for r in mine]))
    if len(items) > len(rows):
        more = len(items) - len(rows)
        blocks.append(s.paragraph(s.emphasis([
            f"… and {more} more shipped in {fmt_month(month)}: ", _in_jira(data, month, "see them in Jira"), ".",
        ])))  # fmt: skip
    return blocks


def _window(data: PageData) -> list[str]:
    last = data.report.as_of.tz_localize(None).to_period("M")
    return [(last - i).strftime("%Y-%m") for i in range(data.config.publish.whats_new_months)]


def build_whats_new_pages(data: PageData) -> list[PageModel]:
    """What's new and its yearly archive pages (oldest year last)."""
    notes = compute_release_notes(data)
    window = _window(data)
    recent = notes.loc[notes["completed_month"].isin(window)]
    older = notes.loc[notes["completed_month"].lt(window[-1])]
    years = sorted({m[:4] for m in older["completed_month"]}, reverse=True)
    return [_main_page(data, recent, years),
            *(_archive_page(data, year, older.loc[older["completed_month"].str.startswith(year)]) for year in years)]


def build_whats_new_page(data: PageData) -> PageModel:
    return build_whats_new_pages(data)[0]


def _main_page(data: PageData, recent: pd.DataFrame, years: Sequence[str]) -> PageModel:
    cfg = data.config
    months = cfg.publish.whats_new_months
    intro: list[s.Inline] = [
        "What the internal-product teams shipped in the last ", f"{months} months" if months > 1 else "month",
        ", newest first: ", s.strong(f"{len(recent)} items"), ". Each month opens with its highlights; every item "
        "says how long it took and who asked for it.",
    ]  # fmt: skip
    archive: list[s.Inline] = ["Earlier months: "]
    for i, year in enumerate(years):
        archive += [", " if i else None, s.page_link(cfg.publish.whats_new_archive.format(year=year), year)]
    blocks: list[ET.Element] = [
        s.panel("tip", [s.paragraph(intro), *([s.paragraph(archive)] if years else [])], title="What's new"),
    ]
    if recent.empty:
        blocks.append(s.paragraph(s.emphasis(f"Nothing shipped in the last {months} months yet.")))
    for month, items in recent.groupby("completed_month", sort=False):
        blocks += build_month_blocks(data, str(month), items, MONTH_ITEMS)
    return PageModel(
        key="whats_new", title=cfg.publish.whats_new, parent_title=cfg.publish.parent,
        body=s.render_storage(blocks), footer=footer(data), people=people_of(data),
    )  # fmt: skip


def _archive_page(data: PageData, year: str, items: pd.DataFrame) -> PageModel:
    cfg = data.config
    blocks: list[ET.Element] = [s.panel("info", s.paragraph([
        f"Internal-product work shipped in {year}: ", s.strong(f"{len(items)} items"), ". The latest months are on ",
        s.page_link(cfg.publish.whats_new), ".",
    ]), title=f"What's new in {year}")]  # fmt: skip
    for month, group in items.groupby("completed_month", sort=False):
        blocks += build_month_blocks(data, str(month), group, ARCHIVE_ITEMS)
    return PageModel(
        key=f"whats_new:{year}", title=cfg.publish.whats_new_archive.format(year=year),
        parent_title=cfg.publish.whats_new, grandparent_title=cfg.publish.parent,
        body=s.render_storage(blocks), footer=footer(data), people=people_of(data),
    )  # fmt: skip
