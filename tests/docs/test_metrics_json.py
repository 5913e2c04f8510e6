"""docs/metrics.md "The JSON object" names every key of `goldenthread metrics --format json` and,
in the same list item, each key one level down; it lists no top-level key the JSON lacks.

The convention: one `- ` item per top-level key (or a few keys sharing a shape), starting with the
key(s) as code spans (`- `lead_time_days`, `cycle_time_days`: ...`); the item names each
second-level key inside a code span (`{count, p50, p85, p95}`). The object is computed by the
same function the command prints (`reports.summary.compute_all`) over a small backlog in which
every list has an item, so no key hides behind an empty list."""

from __future__ import annotations

import json
import re
from typing import Any

from goldenthread.mappings.config import Config
from goldenthread.mappings.records import UserRef
from goldenthread.reports.goals import OutcomeTables
from goldenthread.reports.summary import compute_all
from tests.docs.markdown import CODE_SPAN, list_items, read, section
from tests.reports.test_frames import STATUSES, issue, moves, utc

DOC = "docs/metrics.md"
HEADING = "The JSON object"
# keys of these are data (months), not names
DATA_KEYED = {"throughput"}
ITEM_HEAD = re.compile(r"((?:`\w+`(?:,\s*|\s*/\s*|\s+and\s+)?)+):")

CONFIG = Config.model_validate({
    "jira": {"status_overrides": {"Won't Do": "discarded"}},
    "fields": {"adoption": "Adoption", "satisfaction": "CSAT", "team": "Team", "objective": "Objective"},
    "outcomes": {"sla_days": {"default": 30, "Bug": 5}},
    "goals": [{"name": "Hire faster", "objectives": [{
        "name": "Cost", "weight": 1.5, "kpis": [{
            "name": "Approval days", "unit": "days",
            "baseline": {"value": 5, "date": "2024-01-01"}, "target": {"value": 2, "date": "2024-12-31"}}]}]}],
})  # fmt: skip


def compute_summary() -> dict[str, Any]:
    amy = UserRef("amy")
    issues = [
        issue("P-1", "Done", resolution_date=utc(2024, 1, 11), stakeholders=(amy,), team="Core", adoption=0.5),
        issue("P-2", "In Progress", stakeholders=(amy,), objective="Cost", team="Core"),
        issue("P-3", reach=10, impact=1, confidence=1, effort=2, objective="Cost", satisfaction=40),
    ]
    changes = moves("P-2", (utc(2024, 1, 21), "To Do", "In Progress"))
    report = compute_all(issues, changes, STATUSES, CONFIG, utc(2024, 3, 5), OutcomeTables.empty())
    summary: dict[str, Any] = json.loads(json.dumps(report.summary, allow_nan=False))
    return summary


def compute_key_levels(summary: dict[str, Any]) -> dict[str, set[str]]:
    """Top-level key -> its second-level keys (of an object, or of the objects of a list)."""
    out: dict[str, set[str]] = {}
    for key, value in summary.items():
        if isinstance(value, list):
            assert value, f"the fixture leaves `{key}` empty: give it an item"
            out[key] = {k for item in value for k in item}
        elif isinstance(value, dict) and key not in DATA_KEYED:
            out[key] = set(value)
        else:
            out[key] = set()
    return out


def parse_doc_items(body: str) -> dict[str, str]:
    """Top-level key -> the text of the list item that documents it."""
    out: dict[str, str] = {}
    for item in list_items(body):
        head = ITEM_HEAD.match(item)
        if head:
            for key in CODE_SPAN.findall(head.group(1)):
                out[key] = item
    return out


def find_json_problems(levels: dict[str, set[str]], body: str) -> list[str]:
    items = parse_doc_items(body)
    problems = [f"`{k}` has no item" for k in levels if k not in items]
    problems += [f"`{k}` is documented but the JSON has no such key" for k in items if k not in levels]
    for key, subkeys in levels.items():
        if key not in items:
            continue
        words = {w for span in CODE_SPAN.findall(items[key]) for w in re.findall(r"\w+", span)}
        problems += [f"`{key}.{sub}` is not named in the item of `{key}`" for sub in sorted(subkeys - words)]
    return problems


def test_every_json_key_and_the_keys_under_it_are_documented() -> None:
    levels = compute_key_levels(compute_summary())
    assert {"goals", "ranking", "previous_month", "outcomes"} <= set(levels)
    assert find_json_problems(levels, section(read(DOC), 2, HEADING)) == []


def test_the_check_names_what_the_doc_leaves_out_or_invents() -> None:
    levels = {"as_of": set(), "backlog": {"total", "todo"}, "wip": {"count", "items"}, "model": set()}
    body = ("- `as_of`: T.\n- `backlog`: `total` and\n  the `{todo}`.\n- `wip`, `gone`: `{count}`, items.\n"
            "\nProse naming `model` is no item.\n")
    assert find_json_problems(levels, body) == [
        "`model` has no item",
        "`gone` is documented but the JSON has no such key",
        "`wip.items` is not named in the item of `wip`",
    ]


def test_the_readme_names_every_key_and_the_keys_under_it() -> None:
    body = section(read("README.md"), 3, "`goldenthread metrics --format json`")
    words = {w for span in CODE_SPAN.findall(body) for w in re.findall(r"\w+", span)}
    levels = compute_key_levels(compute_summary())
    assert sorted(set(levels) - words) == []
    assert {k: sorted(sub - words) for k, sub in levels.items() if sub - words} == {}
