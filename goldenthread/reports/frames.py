"""Canonical records -> typed pandas frames, once per run; every metric and score reads these.

Stage of a status (DESIGN.md "Definitions"): `jira.status_overrides` first (case-insensitive),
else the Jira status category (new -> todo, indeterminate -> in_progress, done -> done). The same
mapping applies to every status in the history.

A status missing from the `/status` map (renamed or deleted workflow statuses survive in old
changelogs) falls back, in order, to: the category an issue in that status currently reports
(`Issue.status_category`, so an issue's own current status is never unknown), then
"indeterminate" (in_progress). Only the handful of distinct status names is mapped in Python;
the per-row work is vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from goldenthread.mappings.config import Config
from goldenthread.mappings.records import NUMERIC_FIELDS, Issue, StatusCategory, StatusChange

STAGES: tuple[str, ...] = ("todo", "in_progress", "done", "discarded")
STAGE_DTYPE = pd.CategoricalDtype(list(STAGES), ordered=False)
DT = "datetime64[us, UTC]"
_CATEGORY_STAGE: dict[str, str] = {"new": "todo", "indeterminate": "in_progress", "done": "done"}
_DAY = pd.Timedelta(days=1)

ISSUE_COLUMNS: tuple[str, ...] = (
    "key", "id", "project", "number", "summary", "url", "issue_type", "status",
    "status_category", "stage", "created", "updated", "resolution_date", "started_at",
    "completed_at", "lead_time_days", "cycle_time_days", "sla_days", "objective", "team",
    "target", "reporter_id", "assignee_id", "labels", "components", "stakeholder_ids",
    *NUMERIC_FIELDS,
)  # fmt: skip
CHANGE_COLUMNS: tuple[str, ...] = (
    "issue_key", "change_id", "at", "from_status", "to_status", "from_stage", "to_stage",
    "author_id",
)  # fmt: skip


@dataclass(frozen=True)
class Frames:
    """The two frames every report function takes.

    `issues` (one row per backlog issue, natural key order):
      key, id, project (str), number (int64, the numeric part of the key; 0 if none), summary,
      url, issue_type (category), status (category), status_category (category),
      stage (category todo|in_progress|done|discarded), created, updated, resolution_date,
      started_at (first transition into an in_progress stage), completed_at (done stage only:
      last non-done -> done transition, else resolution date, else NaT) [all datetime64 UTC],
      lead_time_days, cycle_time_days (float, NaN when undefined), sla_days (float, the SLA
      for the issue type, else `default`), objective, team, target, reporter_id, assignee_id
      (str or NaN), labels, components, stakeholder_ids (tuples of str), and every numeric
      canonical field (float64, NaN when missing).
    `changes` (one row per status change of a backlog issue, by issue then time):
      issue_key, change_id, at (datetime64 UTC), from_status, to_status (category),
      from_stage, to_stage (category; from_stage NaN for a creation entry), author_id.
    """

    issues: pd.DataFrame
    changes: pd.DataFrame
    as_of: pd.Timestamp


def to_utc(as_of: datetime | pd.Timestamp) -> pd.Timestamp:
    """An aware datetime as a UTC Timestamp; naive input is refused (reports never guess a zone)."""
    ts = pd.Timestamp(as_of)
    if ts.tzinfo is None:
        raise ValueError("as_of must be timezone-aware (UTC)")
    return ts.tz_convert("UTC")


def compute_status_stages(
    names: Sequence[str],
    statuses: dict[str, StatusCategory],
    config: Config,
    seen_categories: dict[str, StatusCategory] | None = None,
) -> dict[str, str]:
    """Stage for each distinct status name (see module docstring for the fallback rule)."""
    by_fold = {k.casefold(): v for k, v in (seen_categories or {}).items()}
    by_fold.update({k.casefold(): v for k, v in statuses.items()})
    out: dict[str, str] = {}
    for name in names:
        override = config.stage_override(name)
        if override is not None:
            out[name] = override
        else:
            out[name] = _CATEGORY_STAGE[by_fold.get(name.casefold(), "indeterminate")]
    return out


def _strs(values: list[Any]) -> pd.Series:
    return pd.Series(values, dtype="str")


def _num_key(keys: pd.Series) -> pd.Series:
    tail = keys.str.rsplit("-", n=1).str[-1]
    return pd.to_numeric(tail, errors="coerce").fillna(0).astype("int64")


def build_issue_table(issues: Sequence[Issue]) -> pd.DataFrame:
    """Records -> plain issue table (the record fields, typed; no derived columns)."""
    # Records are Python objects: one pass per column is the only way in; everything after
    # this point is vectorised.
    col: dict[str, Any] = {
        "key": _strs([i.key for i in issues]),
        "id": _strs([i.id for i in issues]),
        "project": _strs([i.project for i in issues]),
        "summary": _strs([i.summary for i in issues]),
        "url": _strs([i.url for i in issues]),
        "issue_type": pd.Series([i.issue_type for i in issues], dtype="category"),
        "status": pd.Series([i.status for i in issues], dtype="category"),
        "status_category": pd.Series([i.status_category for i in issues], dtype="category"),
        "created": pd.to_datetime([i.created for i in issues], utc=True),
        "updated": pd.to_datetime([i.updated for i in issues], utc=True),
        "resolution_date": pd.to_datetime([i.resolution_date for i in issues], utc=True),
        "objective": _strs([i.objective for i in issues]),
        "team": _strs([i.team for i in issues]),
        "target": _strs([i.target for i in issues]),
        "reporter_id": _strs([i.reporter.id if i.reporter else None for i in issues]),
        "assignee_id": _strs([i.assignee.id if i.assignee else None for i in issues]),
        "labels": pd.Series([i.labels for i in issues], dtype=object),
        "components": pd.Series([i.components for i in issues], dtype=object),
        "stakeholder_ids": pd.Series(
            [tuple(u.id for u in i.stakeholders) for i in issues], dtype=object
        ),
    }
    for name in NUMERIC_FIELDS:
        col[name] = pd.Series(
            [getattr(i, name) for i in issues], dtype="float64"
        )
    df = pd.DataFrame({k: pd.Series(v).reset_index(drop=True) for k, v in col.items()})
    for c in ("created", "updated", "resolution_date"):
        df[c] = df[c].astype(DT)
    return df


def build_change_table(changes: Sequence[StatusChange]) -> pd.DataFrame:
    """Records -> plain status-change table (issue_key, change_id, at, from/to_status, author_id)."""
    df = pd.DataFrame(
        {
            "issue_key": _strs([c.issue_key for c in changes]),
            "change_id": _strs([c.change_id for c in changes]),
            "at": pd.Series(pd.to_datetime([c.at for c in changes], utc=True)),
            "from_status": _strs([c.from_status for c in changes]),
            "to_status": _strs([c.to_status for c in changes]),
            "author_id": _strs([c.author_id for c in changes]),
        }
    )
    df["at"] = df["at"].astype(DT)
    return df


def _lookup(by_key: pd.Series, keys: pd.Series) -> pd.Series:
    """`by_key[keys]` aligned to `keys`' index, NaT where absent (Series.map chokes when empty)."""
    values = pd.Series(by_key.reindex(keys.to_numpy()).array, index=keys.index)
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        values = pd.to_datetime(values, utc=True)
    return values.astype(DT)


def _sla_days(issue_type: pd.Series, config: Config) -> pd.Series:
    sla = config.outcomes.sla_days
    default = float(sla.get("default", 30.0))
    by_fold = {k.casefold(): float(v) for k, v in sla.items() if k != "default"}
    folded = issue_type.astype("str").str.casefold()
    return folded.map(by_fold).astype("float64").fillna(default)


def build_frames(
    issues: Sequence[Issue],
    changes: Sequence[StatusChange],
    statuses: dict[str, StatusCategory],
    config: Config,
    as_of: datetime,
) -> Frames:
    """Build the issue and status-change frames (columns: see `Frames`).

    Changes of issues not in `issues` (they left the backlog) are dropped. Empty input gives
    empty frames with the same columns and dtypes.
    """
    return build_frames_from_tables(
        build_issue_table(issues), build_change_table(changes), statuses, config, as_of
    )


def build_frames_from_tables(
    issues: pd.DataFrame,
    changes: pd.DataFrame,
    statuses: dict[str, StatusCategory],
    config: Config,
    as_of: datetime,
) -> Frames:
    """The derivation step of `build_frames`, from the plain tables of `build_issue_table` and
    `build_change_table` (so a store could also hand over tables read straight from SQL)."""
    stamp = to_utc(as_of)
    df = issues.copy()
    ch = changes.loc[changes["issue_key"].isin(df["key"])].copy()

    pairs = df[["status", "status_category"]].astype("str").drop_duplicates("status")
    seen = dict(zip(pairs["status"], pairs["status_category"], strict=True))
    names = pd.unique(
        pd.concat([df["status"].astype("str"), ch["from_status"].dropna(), ch["to_status"]])
    )
    stage_of = compute_status_stages(list(names), statuses, config, seen)  # type: ignore[arg-type]

    df["number"] = _num_key(df["key"])
    df["stage"] = df["status"].astype("str").map(stage_of).astype(STAGE_DTYPE)
    ch["from_stage"] = ch["from_status"].map(stage_of).astype(STAGE_DTYPE)
    ch["to_stage"] = ch["to_status"].map(stage_of).astype(STAGE_DTYPE)
    ch["from_status"] = ch["from_status"].astype("category")
    ch["to_status"] = ch["to_status"].astype("category")
    ch = ch.sort_values(["issue_key", "at", "change_id"], kind="stable").reset_index(drop=True)

    started = ch.loc[ch["to_stage"] == "in_progress"].groupby("issue_key")["at"].min()
    # Reopen-aware: the last move from a non-done stage into done; done -> done moves
    # (Done -> Released) are ignored. A creation entry has no from_stage: counts as non-done.
    into_done = ch["to_stage"].eq("done") & ch["from_stage"].ne("done")
    last_done = ch.loc[into_done].groupby("issue_key")["at"].max()

    is_done = df["stage"].eq("done")
    df["started_at"] = _lookup(started, df["key"])
    completed = _lookup(last_done, df["key"]).fillna(df["resolution_date"])
    df["completed_at"] = completed.where(is_done).astype(DT)
    df["lead_time_days"] = ((df["completed_at"] - df["created"]) / _DAY).astype("float64")
    df["cycle_time_days"] = ((df["completed_at"] - df["started_at"]) / _DAY).astype("float64")
    df["sla_days"] = _sla_days(df["issue_type"], config)

    df = df.sort_values(["project", "number", "key"], kind="stable").reset_index(drop=True)
    return Frames(issues=df[list(ISSUE_COLUMNS)], changes=ch[list(CHANGE_COLUMNS)], as_of=stamp)


def natural_order(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in natural key order (project, then number, then key)."""
    return df.sort_values(["project", "number", "key"], kind="stable")

