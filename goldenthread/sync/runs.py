"""Runs as functions: what `goldenthread sync`, `publish`, `report monthly` and `metrics` do,
callable from the CLI, the scheduler and the webhook worker alike.

Tests: tests/cli/test_app.py"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

import pandas as pd

from goldenthread.mappings.config import Config
from goldenthread.mappings.records import Issue, StatusCategory, StatusChange
from goldenthread.reports.frames import build_frames_from_tables
from goldenthread.reports.goals import OutcomeTables
from goldenthread.reports.summary import Report, compute_all, compute_report


class MetricsStore(Protocol):
    def load_issues(self) -> list[Issue]: ...
    def load_status_changes(self) -> list[StatusChange]: ...
    def load_statuses(self) -> dict[str, StatusCategory]: ...


@runtime_checkable
class TableStore(MetricsStore, Protocol):
    def load_issue_table(self) -> pd.DataFrame: ...
    def load_change_table(self) -> pd.DataFrame: ...


@runtime_checkable
class OutcomeStore(Protocol):
    def load_outcome_tables(self) -> OutcomeTables: ...


def load_outcome_tables(store: object) -> OutcomeTables | None:
    """The stored KPI readings and survey answers, when the store keeps them."""
    return store.load_outcome_tables() if isinstance(store, OutcomeStore) else None


def load_report(store: MetricsStore, config: Config, as_of: datetime) -> Report:
    """Read the live backlog from the store and compute the run's `Report`.

    A store that can hand over columns (`Store.load_issue_table` / `load_change_table`) is
    read that way: no per-issue record objects are built, which is most of the cost of a
    large backlog. Any other store goes through its records."""
    outcome_tables = load_outcome_tables(store)
    if isinstance(store, TableStore):
        frames = build_frames_from_tables(
            store.load_issue_table(), store.load_change_table(), store.load_statuses(),
            config, as_of,
        )  # fmt: skip
        return compute_report(frames, config, as_of, outcome_tables)
    return compute_all(
        store.load_issues(), store.load_status_changes(), store.load_statuses(), config, as_of,
        outcome_tables,
    )
