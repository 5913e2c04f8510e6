"""The What's new page: shipped work by month, stakeholders credited.

Tests: tests/reports/test_pages.py
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from goldenthread.reports import storage as s
from goldenthread.reports.pages.common import (
    PageData,
    PageModel,
    fmt_date,
    fmt_days,
    fmt_month,
    footer,
    is_missing,
    issue_ref,
    names_of,
    people_of,
    row_dicts,
)

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
            for r in row_dicts(group)
        ]  # fmt: skip
        blocks.append(s.table(("Shipped", "Issue", "Summary", "Objective served", "Requested by", "Lead time"),
                              rows, widths=(100, 90, 360, 180, 200, 90)))
    return PageModel(
        key="whats_new",
        title=cfg.publish.whats_new,
        parent_title=cfg.publish.parent,
        body=s.render_storage(blocks),
        footer=footer(data),
        people=people_of(data),
    )
