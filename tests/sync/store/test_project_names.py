"""Project names in the store: kept from every sync and webhook (migration 0006), read as key ->
name by `store.reads.load_project_names`, and What's new on a store upgraded with data in it:
rows synced before the upgrade have no name yet, and their project is headed by its key."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine, insert

from goldenthread.mappings.records import IssueSnapshot, StatusChange
from goldenthread.reports import storage as s
from goldenthread.reports.pages import build_whats_new_pages
from goldenthread.reports.pages.common import build_page_data_from_tables
from goldenthread.sync.store import Store
from goldenthread.sync.store import schema
from goldenthread.sync.store.core import _ISSUE_COLUMNS, _issue_row
from goldenthread.sync.store.readonly import ReadStore, open_read_store
from goldenthread.sync.store.upgrade import MIGRATIONS
from tests.reports.page_fixtures import STATUSES, config, issue, t
from tests.sync.store.test_core import T0, _issue


def test_the_name_on_the_projects_latest_issue_wins(store: Store, store_url: str) -> None:
    store.save_snapshots([
        IssueSnapshot(_issue("HR-1", updated=T0, project_name="People Portal")),  # before the rename
        IssueSnapshot(_issue("HR-2", updated=T0 + timedelta(days=1), project_name="HR Portal")),
        IssueSnapshot(_issue("PROC-1", project_name=None)),  # the payload named no project
        IssueSnapshot(_issue("FIN-1", project_name="Finance")),
    ], synced_at=T0)  # fmt: skip
    store.mark_removed(["FIN-1"], "left the backlog", T0)
    assert store.load_project_names() == {"HR": "HR Portal"}
    reader = open_read_store(store_url)
    assert isinstance(reader, ReadStore)
    try:
        assert reader.load_project_names() == {"HR": "HR Portal"}  # the same read, without SQLAlchemy
    finally:
        reader.close()


def _at_0005(url: str) -> None:
    """The schema as it was before the store kept project names, with a shipped PROC issue in it."""
    engine = create_engine(url)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    old = issue("PROC-4", "Supplier onboarding form", "Done", "2026-04-01", updated="2026-05-12",
                project_name="never stored")  # fmt: skip
    row = dict(zip(_ISSUE_COLUMNS, _issue_row(old, T0), strict=True))
    del row["project_name"]
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
        conn.execute(insert(schema.issues).values(row))
        conn.execute(insert(schema.status_changes).values(
            issue_key="PROC-4", change_id="1", at=t("2026-05-12"), from_status="In Progress", to_status="Done"))
    engine.dispose()


def test_a_store_upgraded_with_data_heads_unnamed_projects_by_their_key(store_url: str) -> None:
    _at_0005(store_url)
    store = Store.open(store_url)  # migrates to head: the row stays, with no name yet
    try:
        kept = store.load_issue("PROC-4")
        assert kept is not None and kept.summary == "Supplier onboarding form" and kept.project_name is None
        assert store.load_project_names() == {}
        # a sync after the upgrade brings HR-1 with its project's name; PROC-4 is not seen again
        hr = issue("HR-1", "Payroll export to CSV", "Done", "2026-04-20", updated="2026-05-10",
                   project_name="HR Portal")  # fmt: skip
        store.save_snapshots([IssueSnapshot(hr, (StatusChange("HR-1", "2", t("2026-05-10"), "In Progress",
                                                              "Done"),))], synced_at=T0)  # fmt: skip
        issues, names = store.load_issue_table_and_names()
        data = build_page_data_from_tables(issues, store.load_change_table(), STATUSES, config(), t("2026-06-03"),
                                           "cloud", None, names, store.load_project_names())
        (page,) = build_whats_new_pages(data)
        blocks = [" ".join(" ".join(b.itertext()).split()) for b in s.parse_storage(page.storage)]
        assert [b for b in blocks if b in ("HR", "HR Portal", "PROC")] == ["HR Portal", "PROC"]
        # the next sync that sees PROC-4 names its project
        store.save_snapshots([IssueSnapshot(dataclasses.replace(kept, project_name="Procurement"))], synced_at=T0)
        assert store.load_project_names() == {"HR": "HR Portal", "PROC": "Procurement"}
    finally:
        store.close()
