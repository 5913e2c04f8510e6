"""Rows -> plain typed tables, the input of `frames.build_frames_from_tables`.

Two sources give the same tables: canonical records (`build_tables`, `build_issue_table`,
`build_change_table`) and one sequence per column as a store reads them from SQL
(`build_issue_table_from_columns`, `build_change_table_from_columns`). This is the only place
that turns Python row objects into columns; everything downstream is vectorised.

Tests: tests/reports/test_frames.py, tests/sync/store/test_tables.py
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from typing import Any, Final

import numpy as np
import pandas as pd

from goldenthread.mappings.records import NUMERIC_FIELDS, Issue, StatusChange

DT: Final = "datetime64[us, UTC]"  # Final: a literal type, so pandas-stubs picks the datetime overloads

def _objects(values: Sequence[Any]) -> pd.Series:
    # Plain object columns: pandas' python-backed "str" dtype validates every element on
    # construction and on isna(), which dominated the 100k-issue benchmark. fromiter keeps
    # tuples as elements (np.array would build a 2-D array from equal-length tuples).
    arr = np.fromiter(values, dtype=object, count=len(values))
    return pd.Series(arr, dtype=object, copy=False)


def _floats(values: Sequence[Any]) -> pd.Series:
    return pd.Series(np.array(values, dtype="float64"), copy=False)  # None -> NaN


def _stamps(values: Sequence[Any]) -> pd.Series:
    """Aware datetimes, or naive ISO text (SQLite's DATETIME, which the store writes in UTC)."""
    if len(values) and isinstance(_first_present(values), str):
        micros = _parse_naive_text(values)
        if micros is not None:
            return pd.Series(micros, copy=False).dt.tz_localize("UTC").astype(DT)
    try:
        # the direct constructor is ~2x faster than to_datetime for aware UTC datetimes
        # a column is never a str: pandas-stubs asks for SequenceNotStr, which Sequence is not
        index = pd.DatetimeIndex(values)  # type: ignore[arg-type]
    except (TypeError, ValueError):  # mixed offsets: let to_datetime convert them to UTC
        index = pd.to_datetime(list(values), utc=True)
    if index.tz is None:
        index = index.tz_localize("UTC")  # naive text from SQLite is UTC; or all missing
    return pd.Series(index.tz_convert("UTC").astype(DT), copy=False)


def _first_present(values: Sequence[Any]) -> Any:
    return next((v for v in values if v is not None), None)


def _parse_naive_text(values: Sequence[Any]) -> np.ndarray | None:
    # numpy's ISO parser in C is ~6x faster than pandas' for "YYYY-MM-DD HH:MM:SS.ffffff";
    # it only warns on an explicit offset ("Z", "+01:00"), which must not be read as UTC, so
    # any warning or unparsable text hands the column to pandas instead (None).
    arr = np.fromiter(values, dtype=object, count=len(values))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return arr.astype("datetime64[us]")
        except (ValueError, TypeError, UserWarning, DeprecationWarning):
            return None


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
    "release_note",
)  # fmt: skip
_OBJECT_COLUMNS = ("key", "id", "project", "summary", "url", "objective", "team", "target",
                   "reporter_id", "assignee_id", "labels", "components", "stakeholder_ids",
                   "release_note")  # fmt: skip
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
    "components", *NUMERIC_FIELDS, "release_note",
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


def build_tables(
    issues: Sequence[Issue], changes: Sequence[StatusChange]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Records -> (plain issue table, plain change table with an extra int64 `issue_pos`: the
    row of each change's issue in that issue table, -1 when absent).

    The change keys are matched to the issue rows once, here, with one dict lookup per change
    (cheaper than coding the keys as a categorical and matching 100k categories to 100k issue
    keys later), so issue_key stays a plain object column in this change table. Duplicate issue
    keys: the `build_change_table` table, no `issue_pos` (`compute_issue_times` matches keys)."""
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


def _match_rows(issue_keys: list[Any], change_keys: Sequence[Any]) -> np.ndarray | None:
    """Row of each change key in issue_keys (-1 when absent); None when issue keys repeat."""
    # while building tables from records this replaces coding the keys as a categorical (a
    # factorize of 543k keys plus validating 100k categories) and matching them later
    row_of = dict(zip(issue_keys, range(len(issue_keys)), strict=True))
    if len(row_of) != len(issue_keys):
        return None
    found = map(row_of.get, change_keys, repeat(-1))
    return np.fromiter(found, dtype="int64", count=len(change_keys))




def compute_user_names(*sources: Iterable[tuple[str | None, str | None]]) -> dict[str, str]:
    """User id -> display name from (id, name) pairs: an id takes its name from the first source
    that names it (the callers pass stakeholder fields, then reporters, then assignees); when a
    source gives one id several names, the greatest, so the result never depends on the order
    the rows were read in (a store's tables come in no particular order)."""
    names: dict[str, str] = {}
    for source in sources:
        found: dict[str, str] = {}
        for uid, name in source:
            if uid and name and uid not in names and name > found.get(uid, ""):
                found[uid] = name
        names.update(found)
    return names


def compute_project_names(rows: Iterable[tuple[str | None, str | None, Any]]) -> dict[str, str]:
    """Project key -> name from (key, name, updated) triples: the name on the project's most
    recently updated issue (a renamed project's issues not yet synced again keep the old one),
    the greatest name on a tie, so the result never depends on the order rows were read in.
    `updated` values are compared as given: all datetimes, or all of SQLite's sortable text."""
    best: dict[str, tuple[Any, str]] = {}
    for key, name, updated in rows:
        if key and name and (key not in best or (updated, name) > best[key]):
            best[key] = (updated, name)
    return {key: name for key, (_, name) in best.items()}
