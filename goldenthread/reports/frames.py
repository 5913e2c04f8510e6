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

import gc
import operator
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import repeat
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
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
    "completed_at", "completed_month", "lead_time_days", "cycle_time_days", "sla_days", "objective", "team",
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
      completed_month (category "YYYY-MM", UTC),
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


def _objects(values: Sequence[Any]) -> pd.Series:
    # Plain object columns: pandas' python-backed "str" dtype validates every element on
    # construction and on isna(), which dominated the 100k-issue benchmark. fromiter keeps
    # tuples as elements (np.array would build a 2-D array from equal-length tuples).
    arr = np.fromiter(values, dtype=object, count=len(values))
    return pd.Series(arr, dtype=object, copy=False)


def _floats(values: Sequence[Any]) -> pd.Series:
    return pd.Series(np.array(values, dtype="float64"), copy=False)  # None -> NaN


def _stamps(values: Sequence[Any]) -> pd.Series:
    try:
        # the direct constructor is ~2x faster than to_datetime for aware UTC datetimes
        index = pd.DatetimeIndex(values)
    except (TypeError, ValueError):  # mixed offsets: let to_datetime convert them to UTC
        index = pd.to_datetime(list(values), utc=True)
    if index.tz is None:
        index = index.tz_localize("UTC")  # naive text from SQLite is UTC; or all missing
    return pd.Series(index.tz_convert("UTC").astype(DT), copy=False)


def compute_key_numbers(keys: pd.Series) -> pd.Series:
    """The numeric part of each issue key ("PROJ-12" -> 12; 0 when there is none)."""
    # Part of turning rows into columns (one pass over the key strings); pandas' .str
    # accessor does the same per-element work with several times the overhead.
    tails = [k.rpartition("-")[2] for k in keys.tolist()]
    numbers = [int(t) if t.isdigit() else 0 for t in tails]
    return pd.Series(np.array(numbers, dtype="int64"), copy=False)


#: Columns of the plain issue table (`build_issue_table`, `build_issue_table_from_columns`).
TABLE_ISSUE_COLUMNS: tuple[str, ...] = (
    "key", "id", "project", "number", "summary", "url", "issue_type", "status",
    "status_category", "created", "updated", "resolution_date", "objective", "team", "target",
    "reporter_id", "assignee_id", "labels", "components", "stakeholder_ids", *NUMERIC_FIELDS,
)  # fmt: skip
_OBJECT_COLUMNS = ("key", "id", "project", "summary", "url", "objective", "team", "target",
                   "reporter_id", "assignee_id", "labels", "components", "stakeholder_ids")  # fmt: skip
_CATEGORY_COLUMNS = ("issue_type", "status", "status_category")
_STAMP_COLUMNS = ("created", "updated", "resolution_date")


def build_issue_table_from_columns(columns: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """Plain issue table from one sequence per column (the names of TABLE_ISSUE_COLUMNS except
    `number`, which is derived from `key`): how records and SQL rows both become a table.
    Timestamps must be aware (or pandas Timestamps); labels, components and stakeholder_ids
    are tuples of str; numbers may be None."""
    col: dict[str, pd.Series] = {}
    for name in TABLE_ISSUE_COLUMNS:
        if name == "number":
            col[name] = compute_key_numbers(col["key"])
        elif name in _OBJECT_COLUMNS:
            col[name] = _objects(columns[name])
        elif name in _CATEGORY_COLUMNS:
            col[name] = pd.Series(_codes_categorical(columns[name]), copy=False)
        elif name in _STAMP_COLUMNS:
            col[name] = _stamps(columns[name])
        else:
            col[name] = _floats(columns[name])
    return pd.DataFrame(col, copy=False)


_RECORD_FIELDS: tuple[str, ...] = (
    "key", "id", "project", "summary", "url", "issue_type", "status", "status_category",
    "created", "updated", "resolution_date", "objective", "team", "target", "labels",
    "components", *NUMERIC_FIELDS,
)  # fmt: skip
_ID = operator.attrgetter("id")


def _field(records: Sequence[Any], name: str) -> list[Any]:
    # Measured: one map(attrgetter) pass per field beats a single pass building a tuple per
    # record and transposing it (those tuples cost allocations and GC runs).
    return list(map(operator.attrgetter(name), records))


def build_issue_table(issues: Sequence[Issue]) -> pd.DataFrame:
    """Records -> plain issue table (the record fields, typed, plus `number` parsed from the key)."""
    cols: dict[str, Sequence[Any]] = {name: _field(issues, name) for name in _RECORD_FIELDS}
    cols["reporter_id"] = [u.id if u is not None else None for u in _field(issues, "reporter")]
    cols["assignee_id"] = [u.id if u is not None else None for u in _field(issues, "assignee")]
    stakeholders = _field(issues, "stakeholders")
    cols["stakeholder_ids"] = [tuple(map(_ID, s)) if s else () for s in stakeholders]
    return build_issue_table_from_columns(cols)


_CHANGE_FIELDS: tuple[str, ...] = (
    "issue_key", "change_id", "at", "from_status", "to_status", "author_id",
)  # fmt: skip


def _codes_categorical(values: Sequence[Any]) -> pd.Categorical:
    # factorize keeps first-seen order; pd.Categorical would also sort the categories, which
    # for 100k issue keys costs more than the hashing itself
    codes, uniques = pd.factorize(np.fromiter(values, dtype=object, count=len(values)))
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object))


def build_change_table_from_columns(columns: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """Plain status-change table from one sequence per column (issue_key, change_id, at,
    from_status, to_status, author_id). issue_key, from_status and to_status are categorical
    (unsorted categories): each value repeats many times, and the derivation works on codes."""
    return _change_table(columns, _codes_categorical(columns["issue_key"]))


def _change_table(columns: Mapping[str, Sequence[Any]], issue_key: Any) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "issue_key": issue_key,
            "change_id": _objects(columns["change_id"]),
            "at": _stamps(columns["at"]),
            "from_status": _codes_categorical(columns["from_status"]),
            "to_status": _codes_categorical(columns["to_status"]),
            "author_id": _objects(columns["author_id"]),
        },
        copy=False,
    )


def build_change_table(changes: Sequence[StatusChange]) -> pd.DataFrame:
    """Records -> plain status-change table (issue_key, change_id, at, from/to_status, author_id)."""
    return build_change_table_from_columns({f: _field(changes, f) for f in _CHANGE_FIELDS})


@contextmanager
def _gc_paused() -> Iterator[None]:
    # Turning 100k records into columns allocates many small tuples (parsed keys, stakeholder
    # ids), which triggers the cyclic GC; each of its full passes walks every live record
    # (millions of objects) and was ~20% of records -> tables. Nothing built here forms cycles.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_tables(
    issues: Sequence[Issue], changes: Sequence[StatusChange]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Records -> (plain issue table, plain change table with an extra int64 `issue_pos`: the
    row of each change's issue in that issue table, -1 when absent).

    The change keys are matched to the issue rows once, here, with one dict lookup per change
    (cheaper than coding the keys as a categorical and matching 100k categories to 100k issue
    keys later), so issue_key stays a plain object column in this change table. Duplicate issue
    keys: the `build_change_table` table, no `issue_pos` (`compute_issue_times` matches keys)."""
    with _gc_paused():
        return _build_tables(issues, changes)


def _build_tables(
    issues: Sequence[Issue], changes: Sequence[StatusChange]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    issue_table = build_issue_table(issues)
    cols: dict[str, Sequence[Any]] = {f: _field(changes, f) for f in _CHANGE_FIELDS}
    change_keys = cols["issue_key"]
    pos = _match_rows(issue_table["key"].tolist(), change_keys)
    if pos is None:
        return issue_table, build_change_table_from_columns(cols)
    table = _change_table(cols, _objects(change_keys))
    table["issue_pos"] = pos
    return issue_table, table


def _utc(values: pd.Series) -> pd.Series:
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        values = pd.to_datetime(values, utc=True)
    return values.astype(DT)


def _stage_codes(statuses: pd.Series, stage_of: dict[str, str]) -> np.ndarray:
    """Stage code (index into STAGES, -1 for a missing status) of every row, mapped through
    the (few) categories of the status column, never row by row."""
    cat = statuses if isinstance(statuses.dtype, pd.CategoricalDtype) else statuses.astype("category")
    lookup = [STAGES.index(stage_of[str(name)]) for name in cat.cat.categories]
    table = np.array([*lookup, -1], dtype="int8")
    return table[cat.cat.codes.to_numpy()]


def _stages(codes: np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series(pd.Categorical.from_codes(codes, dtype=STAGE_DTYPE), index=index)


_IN_PROGRESS = STAGES.index("in_progress")
_DONE = STAGES.index("done")
_NAT = np.iinfo("int64").min


def compute_stage_map(
    issues: pd.DataFrame, changes: pd.DataFrame, statuses: dict[str, StatusCategory],
    config: Config,
) -> dict[str, str]:
    """Stage of every status name seen in the tables (current statuses and both ends of every
    change), with the fallback of the module docstring."""
    status = issues["status"].astype("category")
    cats = issues["status_category"].astype(object).to_numpy()
    codes = pd.Series(status.cat.codes.to_numpy())
    first = codes.drop_duplicates()
    first = first[first >= 0]
    seen = {str(status.cat.categories[c]): cats[i] for i, c in first.items()}
    names = set(seen)
    for col in ("from_status", "to_status"):
        names |= {str(x) for x in changes[col].astype("category").cat.categories}
    return compute_status_stages(sorted(names), statuses, config, seen)


@dataclass(frozen=True)
class IssueTimes:
    """Per issue row (the order of the issue table given): stage codes, started_at and
    completed_at as int64 microseconds since the epoch (_NAT when undefined), lead and cycle
    time in days; plus, per change row, the issue position and the from/to stage codes."""

    stage: np.ndarray
    started: np.ndarray
    completed: np.ndarray
    lead_time_days: np.ndarray
    cycle_time_days: np.ndarray
    change_pos: np.ndarray
    from_stage: np.ndarray
    to_stage: np.ndarray


def _micros(values: pd.Series) -> np.ndarray:
    return _utc(values).array.asi8  # type: ignore[no-any-return]


def _match_rows(issue_keys: list[Any], change_keys: Sequence[Any]) -> np.ndarray | None:
    """Row of each change key in issue_keys (-1 when absent); None when issue keys repeat."""
    # while building tables from records this replaces coding the keys as a categorical (a
    # factorize of 543k keys plus validating 100k categories) and matching them later
    row_of = dict(zip(issue_keys, range(len(issue_keys)), strict=True))
    if len(row_of) != len(issue_keys):
        return None
    found = map(row_of.get, change_keys, repeat(-1))
    return np.fromiter(found, dtype="int64", count=len(change_keys))


def compute_change_positions(issues: pd.DataFrame, changes: pd.DataFrame) -> np.ndarray:
    """Row of each change's issue in the issue table (-1 when absent), matched by key string."""
    keys = changes["issue_key"]
    key_index = pd.Index(issues["key"].astype(object))
    if isinstance(keys.dtype, pd.CategoricalDtype):
        # map the (few) distinct keys, then every row through its code
        per_cat = key_index.get_indexer(keys.cat.categories.astype(object))
        return np.append(per_cat, -1)[keys.cat.codes.to_numpy()]  # type: ignore[no-any-return]
    return key_index.get_indexer(keys.astype(object))  # type: ignore[no-any-return]


def compute_issue_times(
    issues: pd.DataFrame,
    changes: pd.DataFrame,
    stage_of: dict[str, str],
    change_pos: np.ndarray | None = None,
) -> IssueTimes:
    """Started/completed timestamps and lead/cycle times of every issue of a plain issue table
    from a plain change table (DESIGN.md definitions; reopen-aware), vectorised.

    started_at: the first change into an in_progress stage. completed_at (issues now in the done
    stage only): the last change from a non-done stage (or a creation entry) into done, else the
    resolution date. Neither needs the changes sorted: they are a per-issue min and max.
    `change_pos`: the issue row of every change if already known (see `build_tables`), else
    the changes are matched to the issues by key here."""
    n = len(issues)
    stage = _stage_codes(issues["status"], stage_of)
    pos = compute_change_positions(issues, changes) if change_pos is None else change_pos
    at = _micros(changes["at"])
    from_stage = _stage_codes(changes["from_status"], stage_of)
    to_stage = _stage_codes(changes["to_status"], stage_of)
    known = pos >= 0

    started = np.full(n, np.iinfo("int64").max, dtype="int64")
    m = known & (to_stage == _IN_PROGRESS)
    np.minimum.at(started, pos[m], at[m])
    started[started == np.iinfo("int64").max] = _NAT
    # Reopen-aware: done -> done moves (Done -> Released) are ignored; a creation entry has no
    # from_stage (-1) and counts as non-done.
    last_done = np.full(n, _NAT, dtype="int64")
    m = known & (to_stage == _DONE) & (from_stage != _DONE)
    np.maximum.at(last_done, pos[m], at[m])

    resolution = _micros(issues["resolution_date"])
    completed = np.where(last_done != _NAT, last_done, resolution)
    completed = np.where(stage == _DONE, completed, _NAT)
    created = _micros(issues["created"])
    day = 86_400_000_000.0
    has_done, has_start = completed != _NAT, (completed != _NAT) & (started != _NAT)
    lead = np.where(has_done, (completed - created) / day, np.nan)
    cycle = np.where(has_start, (completed - started) / day, np.nan)
    return IssueTimes(stage, started, completed, lead, cycle, pos, from_stage, to_stage)


def _as_stamps(micros: np.ndarray) -> pd.Series:
    return pd.Series(micros.view("datetime64[us]"), copy=False).dt.tz_localize("UTC").astype(DT)


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
    return build_frames_from_tables(*build_tables(issues, changes), statuses, config, as_of)


def build_frames_from_tables(
    issues: pd.DataFrame,
    changes: pd.DataFrame,
    statuses: dict[str, StatusCategory],
    config: Config,
    as_of: datetime,
) -> Frames:
    """The derivation step of `build_frames`, from the plain tables of `build_issue_table` and
    `build_change_table` (so a store could also hand over tables read straight from SQL), or of
    `build_tables` (its `issue_pos` column spares matching the keys again)."""
    stamp = to_utc(as_of)
    # Natural key order (project, then number) via integer sort keys: sorting 100k key strings
    # dominated the run time.
    project_codes = pd.Categorical(issues["project"]).codes
    order = np.lexsort((issues["number"].to_numpy(), project_codes))
    df = issues.take(order).reset_index(drop=True)
    stage_of = compute_stage_map(df, changes, statuses, config)
    change_pos = None
    if "issue_pos" in changes.columns:
        # issue_pos points into the unsorted table: follow each row to where the sort put it
        moved = np.empty(len(order) + 1, dtype="int64")
        moved[order] = np.arange(len(order))
        moved[-1] = -1
        change_pos = moved[changes["issue_pos"].to_numpy()]
    times = compute_issue_times(df, changes, stage_of, change_pos)

    keep = np.flatnonzero(times.change_pos >= 0)
    pos = times.change_pos[keep]
    ch_order = keep[np.lexsort((_micros(changes["at"])[keep], pos))]
    ch = changes.take(ch_order).reset_index(drop=True)
    ch["issue_key"] = ch["issue_key"].astype(object)
    ch["at"] = _utc(ch["at"])
    ch["from_stage"] = _stages(times.from_stage[ch_order], ch.index)
    ch["to_stage"] = _stages(times.to_stage[ch_order], ch.index)
    ch["from_status"] = ch["from_status"].astype("category")
    ch["to_status"] = ch["to_status"].astype("category")

    df["stage"] = _stages(times.stage, df.index)
    df["started_at"] = _as_stamps(times.started)
    df["completed_at"] = _as_stamps(times.completed)
    df["lead_time_days"] = times.lead_time_days
    df["cycle_time_days"] = times.cycle_time_days
    df["completed_month"] = _months(df["completed_at"])
    df["sla_days"] = _sla_days(df["issue_type"], config)
    return Frames(issues=df[list(ISSUE_COLUMNS)], changes=ch[list(CHANGE_COLUMNS)], as_of=stamp)


def _months(ts: pd.Series) -> pd.Series:
    """"YYYY-MM" (UTC) as a categorical: only the few distinct months are formatted."""
    valid = ts.notna().to_numpy()
    stamps = ts.dt.tz_localize(None)
    ym = (stamps.dt.year * 12 + stamps.dt.month - 1).to_numpy(dtype="float64")
    uniq = np.unique(ym[valid]).astype("int64")
    labels = [f"{u // 12:04d}-{u % 12 + 1:02d}" for u in uniq]
    codes = np.full(len(ts), -1, dtype="int64")
    codes[valid] = np.searchsorted(uniq, ym[valid].astype("int64"))
    return pd.Series(pd.Categorical.from_codes(codes, categories=labels), index=ts.index)


def natural_order(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in natural key order (project, then number)."""
    return df.sort_values(["project", "number"], kind="stable")

