"""Store round-trips on SQLite and PostgreSQL, and migrations that match the table definitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from goldenthread.mappings.records import Issue, IssueSnapshot, StatusChange, StatusInfo, UserRef
from goldenthread.sync.store.schema import metadata
from goldenthread.sync.store import Store
from goldenthread.mappings.values import parse_datetime

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _issue(key: str, **kw: object) -> Issue:
    base: dict[str, object] = dict(
        key=key,
        id=key.split("-")[1],
        project=key.split("-")[0],
        summary="Payroll <b>export</b> ]]> ‏שלום 🎉",
        issue_type="Story",
        status="In Progress",
        status_category="indeterminate",
        created=T0,
        updated=T0 + timedelta(days=2),
        labels=("internal-product", "hr"),
        components=("Payroll",),
        reach=800.0,
        confidence=80.0,
        objective="Cut time-to-hire",
        reporter=UserRef("557058:aaaa", "Dana"),
        stakeholders=(UserRef("557058:bbbb", "Ola"),),
        release_note="Payslips open on phones. <script>x</script>",
        project_name="HR <Portal> ]]>",
    )
    base.update(kw)
    return Issue(**base)  # type: ignore[arg-type]


def test_snapshot_round_trip_keeps_every_field(store: Store) -> None:
    issue = _issue("HR-7", resolution_date=T0 + timedelta(days=9))
    changes = (
        StatusChange("HR-7", "100", T0 + timedelta(hours=1), "To Do", "In Progress", "557058:aaaa"),
        StatusChange("HR-7", "101", T0 + timedelta(days=1), "In Progress", "Done"),
    )
    assert store.save_snapshots([IssueSnapshot(issue, changes)], synced_at=T0) == 1

    loaded = store.load_issue("HR-7")
    assert loaded == issue
    assert loaded is not None and loaded.created.tzinfo is not None
    assert store.load_status_changes() == list(changes)


def test_upsert_is_idempotent_and_full_history_replaces(store: Store) -> None:
    first = IssueSnapshot(_issue("HR-1"), (StatusChange("HR-1", "1", T0, "To Do", "In Progress"),))
    store.save_snapshots([first], synced_at=T0)
    store.save_snapshots([first], synced_at=T0)
    assert store.count("issues") == 1 and store.count("status_changes") == 1

    newer = IssueSnapshot(
        _issue("HR-1", status="Done", status_category="done"),
        (StatusChange("HR-1", "2", T0 + timedelta(days=1), "To Do", "Done"),),
    )
    store.save_snapshots([newer], synced_at=T0)
    assert [c.change_id for c in store.load_status_changes()] == ["2"]
    assert store.load_issue("HR-1").status == "Done"  # type: ignore[union-attr]

    # a webhook's partial history merges instead of replacing
    extra = IssueSnapshot(newer.issue, (StatusChange("HR-1", "3", T0 + timedelta(days=2), "Done", "Released"),))
    store.save_snapshots([extra], synced_at=T0, full_history=False)
    assert [c.change_id for c in store.load_status_changes()] == ["2", "3"]


def test_removed_issues_leave_live_views_but_stay_in_history(store: Store) -> None:
    store.save_snapshots([IssueSnapshot(_issue("HR-1")), IssueSnapshot(_issue("HR-2"))], synced_at=T0)
    assert store.mark_removed(["HR-2"], "relabelled", T0) == 1
    assert store.mark_removed(["HR-2"], "again", T0) == 0  # already removed: keeps the first reason
    assert [i.key for i in store.load_issues()] == ["HR-1"]
    assert [i.key for i in store.load_issues(include_removed=True)] == ["HR-1", "HR-2"]
    assert store.load_removed() == [("HR-2", T0, "relabelled")]
    # seen in the backlog again: back
    store.save_snapshots([IssueSnapshot(_issue("HR-2"))], synced_at=T0)
    assert store.load_live_keys() == {"HR-1", "HR-2"}


def test_an_issue_moved_to_another_project_retires_its_old_key(store: Store) -> None:
    old = _issue("HR-7", id="10077")
    store.save_snapshots([IssueSnapshot(old, (StatusChange("HR-7", "1", T0, "To Do", "In Progress"),)),
                          IssueSnapshot(_issue("HR-8", id="10078"))], synced_at=T0)
    later = T0 + timedelta(days=3)
    # Jira moved HR-7 to IT: same id, new key (a webhook or the next sync brings it)
    store.save_snapshots([IssueSnapshot(_issue("IT-3", id="10077"))], synced_at=later)
    assert store.load_live_keys() == {"HR-8", "IT-3"}
    assert store.load_removed() == [("HR-7", later, "moved: now IT-3")]
    # the old key's history stays, and saving the new key again changes nothing more
    assert [c.issue_key for c in store.load_status_changes(include_removed=True)] == ["HR-7"]
    assert store.load_status_changes() == []  # live view: the old key's changes are not in it
    store.save_snapshots([IssueSnapshot(_issue("IT-3", id="10077"))], synced_at=later + timedelta(days=1))
    assert store.load_removed() == [("HR-7", later, "moved: now IT-3")]


def test_statuses_state_runs_and_pages(store: Store) -> None:
    store.save_statuses([StatusInfo("Done", "done", "3"), StatusInfo("To Do", "new", "1")])
    store.save_statuses([StatusInfo("Done", "done", "3")])
    assert store.load_statuses() == {"Done": "done", "To Do": "new"}

    assert store.load_state("cursor") is None
    store.save_state("cursor", "2026-03-01T09:30:00+00:00", T0)
    store.save_state("cursor", "2026-03-02T09:30:00+00:00", T0)
    assert store.load_state("cursor") == "2026-03-02T09:30:00+00:00"

    run = store.start_run("sync", T0)
    store.finish_run(run, "ok", T0 + timedelta(seconds=5), {"issues": 3})
    (last,) = store.load_runs()
    assert (last["status"], last["stats"], last["finished_at"]) == ("ok", {"issues": 3}, T0 + timedelta(seconds=5))

    store.save_published("roadmap", title="Roadmap", space="IPM", page_id="42", content_hash="abc", version=1)
    store.save_published("roadmap", version=2)
    page = store.load_published("roadmap")
    assert page is not None and (page["title"], page["page_id"], page["version"]) == ("Roadmap", "42", 2)


def test_migrations_match_table_definitions(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_reopening_a_store_keeps_data(store_url: str) -> None:
    s = Store.open(store_url)
    s.save_snapshots([IssueSnapshot(_issue("HR-9"))], synced_at=T0)
    s.close()
    again = Store.open(store_url)  # runs the migrations again: a no-op on an up-to-date schema
    assert again.load_live_keys() == {"HR-9"}
    again.close()


def test_fast_sqlite_datetime_format_matches_sqlalchemys() -> None:
    from datetime import timedelta, timezone

    from sqlalchemy import DateTime
    from sqlalchemy.dialects import sqlite as sqlite_dialect

    from goldenthread.sync.store.bulk import format_sqlite_datetime

    dialect = sqlite_dialect.dialect()
    theirs = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    assert theirs is not None
    values = [None, datetime(2026, 7, 13, 3, 30, 19, tzinfo=UTC), datetime(2026, 7, 13, 3, 30, 19, 5, tzinfo=UTC),
              datetime(999, 1, 2, 0, 0), datetime(2026, 1, 1, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=2)))]
    for value in values:
        assert format_sqlite_datetime(value) == theirs(value), value


def test_status_changes_come_by_issue_then_time_in_utc(store: Store) -> None:
    def change(key: str, cid: str, hours: int) -> StatusChange:
        return StatusChange(key, cid, T0 + timedelta(hours=hours), "To Do", "In Progress")

    store.save_snapshots([
        IssueSnapshot(_issue("HR-2"), (change("HR-2", "9", 5), change("HR-2", "8", 1))),
        IssueSnapshot(_issue("HR-10"), (change("HR-10", "7", 3),)),
    ], synced_at=T0)  # fmt: skip
    loaded = store.load_status_changes()
    assert [(c.issue_key, c.change_id) for c in loaded] == [("HR-10", "7"), ("HR-2", "8"), ("HR-2", "9")]
    assert [c.at for c in loaded] == [T0 + timedelta(hours=h) for h in (3, 1, 5)]
    assert all(c.at.utcoffset() == timedelta(0) for c in loaded)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2026-03-01 09:30:00.250000", datetime(2026, 3, 1, 9, 30, 0, 250000, tzinfo=UTC)),  # SQLite
        ("2026-03-01 09:30:00", datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),
        ("2026-03-01 11:30:00+02:00", datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),  # text with an offset
        (datetime(2026, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=1))),
         datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),  # PostgreSQL, session not in UTC
        (datetime(2026, 3, 1, 9, 30), datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_stored_timestamps_read_back_as_utc(stored: object, expected: datetime) -> None:
    parsed = parse_datetime(stored)
    assert parsed == expected and parsed is not None and parsed.tzinfo is UTC
