"""The report's stakeholder columns: who each issue credits (field ∪ rules), pair by pair.

An issue's stakeholders are defined once, in `mappings.stakeholders` (`_contributions`); the
report's issue table gets its `stakeholder_ids` from `compute_stakeholder_ids` there, so the
`metrics` JSON, the breakdowns and every page credit the same people whatever `write_back`
says. What each stakeholder got at as_of (`compute_stakeholder_work`) is computed once: the JSON
counts it, the monthly report lists it. The rules are matched once per distinct combination of the values they read (a backlog
has few), not once per issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import NamedTuple

import numpy as np
import pandas as pd

from goldenthread.mappings.config import Config
from goldenthread.mappings.stakeholders import (
    CompiledRule,
    StakeholderPlan,
    build_stakeholder_plan,
    compute_matching_rules,
    compute_stakeholder_ids,
)


class _Facts(NamedTuple):
    """What the rules read of one issue row (a `mappings.stakeholders.RuleSubject`)."""

    project: str
    issue_type: str
    components: tuple[str, ...]
    labels: tuple[str, ...]
    team: str | None
    objective: str | None


def build_credit_plan(config: Config) -> StakeholderPlan:
    """The plan every figure and page credits stakeholders with. No deployment: who an issue
    credits does not depend on where pages are published (ids are validated for a deployment
    only where it matters: write-back and @mentions)."""
    return build_stakeholder_plan(config)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def compute_stakeholder_column(issues: pd.DataFrame, plan: StakeholderPlan) -> pd.Series:
    """`stakeholder_ids` of each row: its field users (the table's `stakeholder_ids`) ∪ everyone
    the plan's rules add (the table's `reporter_id` for `reporter: true`)."""
    field_ids = issues["stakeholder_ids"].tolist()
    if plan.rules:
        reporters = [_text(r) for r in issues["reporter_id"].tolist()]
        facts = zip(
            issues["project"].tolist(), issues["issue_type"].tolist(), issues["components"].tolist(),
            issues["labels"].tolist(), issues["team"].tolist(), issues["objective"].tolist(), strict=True,
        )  # fmt: skip
        matched: dict[tuple[object, ...], tuple[CompiledRule, ...]] = {}
        rules: list[tuple[CompiledRule, ...]] = []
        for row in facts:
            found = matched.get(row)
            if found is None:
                project, issue_type, components, labels, team, objective = row
                subject = _Facts(str(project), str(issue_type), tuple(components or ()),
                                 tuple(labels or ()), _text(team), _text(objective))  # fmt: skip
                found = matched[row] = compute_matching_rules(subject, plan)
            rules.append(found)
        out = list(map(compute_stakeholder_ids, field_ids, reporters, rules))
    else:
        out = [compute_stakeholder_ids(ids, None, ()) for ids in field_ids]
    return pd.Series(np.fromiter(out, dtype=object, count=len(out)), index=issues.index, dtype=object)


def compute_stakeholder_rows(stakeholder_ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(row position, stakeholder id) of every (issue, stakeholder) pair, by row, then in the
    issue's stakeholder order: the non-empty rows `explode` would give, without its per-row
    overhead."""
    tuples = stakeholder_ids.tolist()
    lengths = np.fromiter(map(len, tuples), dtype="int64", count=len(tuples))
    rows = np.repeat(np.arange(len(tuples)), lengths)
    ids = np.fromiter(chain.from_iterable(tuples), dtype=object, count=int(lengths.sum()))
    return rows, ids


STAKEHOLDER_LISTS: tuple[str, ...] = ("delivered", "now", "next")


@dataclass(frozen=True)
class StakeholderWork:
    """What each stakeholder got at as_of. `lists`: `delivered` (the lead-time rows completed
    in the as-of month, newest first), `now` and `next` (the ranking's rows in those lanes, in
    ranking order). `pairs`: id, list, row (position in that list), one per (stakeholder, item),
    in list order."""

    lists: dict[str, pd.DataFrame]
    pairs: pd.DataFrame

    def compute_counts(self) -> pd.DataFrame:
        """id, delivered, now, next: the items of each list per stakeholder id."""
        if self.pairs.empty:
            return pd.DataFrame({c: pd.Series(dtype=object if c == "id" else "int64")
                                 for c in ("id", *STAKEHOLDER_LISTS)})  # fmt: skip
        table = self.pairs.groupby(["id", "list"]).size().unstack(fill_value=0)
        table = table.reindex(columns=list(STAKEHOLDER_LISTS), fill_value=0).astype("int64")
        return table.rename_axis(index="id", columns=None).reset_index()


def compute_stakeholder_work(scores: pd.DataFrame, lead_times: pd.DataFrame, month: str) -> StakeholderWork:
    """`StakeholderWork` of the ranking `scores` and the completed `lead_times` for the as-of
    `month` ("YYYY-MM")."""
    lists = {
        "delivered": lead_times.loc[lead_times["completed_month"].eq(month).to_numpy()].reset_index(drop=True),
        "now": scores.loc[scores["lane"].eq("now").to_numpy()].reset_index(drop=True),
        "next": scores.loc[scores["lane"].eq("next").to_numpy()].reset_index(drop=True),
    }  # fmt: skip
    parts = []
    for name, frame in lists.items():
        rows, ids = compute_stakeholder_rows(frame["stakeholder_ids"])
        parts.append(pd.DataFrame({"id": pd.Series(ids, dtype=object), "list": name,
                                   "row": rows.astype("int64")}))  # fmt: skip
    return StakeholderWork(lists, pd.concat(parts, ignore_index=True))
