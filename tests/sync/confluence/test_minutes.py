"""Minutes pages against the sandbox (Cloud and Data Center): created once under the report,
never written again, actions carried into the next report and minutes, a deleted page not
recreated, unreadable tasks reported without failing the report."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from goldenthread.mappings.records import IssueSnapshot
from goldenthread.sandbox import SandboxState
from goldenthread.sync.confluence.publisher import publish_monthly_report, publish_pages
from goldenthread.sync.context import AppContext
from goldenthread.sync.store.minutes import load_minutes
from tests.reports.page_fixtures import DANA, t
from tests.sync.publish_helpers import NOW, confluence_env

JULY = t("2026-07-02")
MAY_MINUTES, JUNE_MINUTES = "Stakeholder meeting 2026-05: minutes", "Stakeholder meeting 2026-06: minutes"


@pytest.fixture(params=["cloud", "datacenter"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[SandboxState, AppContext, Any]]:
    with confluence_env(request.param, tmp_path, now=JULY) as running:
        yield running


def _pages(state: SandboxState, title: str) -> list[Any]:
    return [p for p in state.confluence.pages.values() if p.title == title and p.status == "current"]


def _page(state: SandboxState, title: str) -> Any:
    (page,) = _pages(state, title)
    return page


def _task(n: int, done: bool, body: str) -> str:
    status = "complete" if done else "incomplete"
    return (f"<ac:task><ac:task-id>{n}</ac:task-id><ac:task-status>{status}</ac:task-status>"
            f"<ac:task-body>{body}</ac:task-body></ac:task>")


def _minutes_written_by_people(user: str) -> str:
    return ("<h2>Attendees</h2><p>Dana, Omar</p><h2>Decisions</h2><ul><li>Payroll export first</li></ul>"
            "<h2>Actions</h2><ac:task-list>"
            + _task(1, False, f'<ac:link><ri:user {user} /></ac:link> send the payroll survey '
                               '<time datetime="2026-06-20" />')
            + _task(2, False, "price the LMS licences")
            + _task(3, True, "book the room")
            + "</ac:task-list>")


def _user_attr(handle: Any) -> str:
    return f'ri:account-id="{DANA}"' if handle.cloud else 'ri:username="dana.whitfield"'


def test_minutes_are_created_once_under_the_report_and_never_written_again(env: Any) -> None:
    state, ctx, handle = env
    first = publish_monthly_report(ctx, "2026-05", confluence=handle).pages
    assert [(p.key, p.outcome) for p in first] == [("monthly:2026-05", "created"), ("minutes:2026-05", "created")]
    report, minutes = _page(state, "Stakeholder report 2026-05"), _page(state, MAY_MINUTES)
    assert minutes.parent_id == report.id
    assert "<ac:task-list>" in minutes.body and f'ri:content-title="{MAY_MINUTES}"' in report.body
    rec = load_minutes(ctx.store, "2026-05")
    assert rec is not None and rec["page_id"] == minutes.id and rec["how"] == "created"

    people = _minutes_written_by_people(_user_attr(handle))
    state.confluence.simulate_manual_edit(minutes.id, people)
    issue = ctx.store.load_issue("HR-4")
    assert issue is not None
    ctx.store.save_snapshots([IssueSnapshot(dataclasses.replace(issue, summary="Expense approvals, mobile"))],
                             NOW, full_history=False)
    again = {p.key: p for p in publish_monthly_report(ctx, "2026-05", confluence=handle).pages}
    assert again["minutes:2026-05"].outcome == "unchanged"
    assert _page(state, MAY_MINUTES).body == people and _page(state, MAY_MINUTES).version == 2


def test_open_actions_carry_over_into_the_next_report_and_the_next_minutes(env: Any) -> None:
    state, ctx, handle = env
    publish_monthly_report(ctx, "2026-05", confluence=handle)
    may = _page(state, MAY_MINUTES)
    state.confluence.simulate_manual_edit(may.id, _minutes_written_by_people(_user_attr(handle)))

    outcomes = {p.key: p.outcome for p in publish_monthly_report(ctx, "2026-06", confluence=handle).pages}
    assert outcomes == {"monthly:2026-06": "created", "minutes:2026-06": "created"}
    report, june = _page(state, "Stakeholder report 2026-06"), _page(state, JUNE_MINUTES)
    for body in (report.body, june.body):
        assert "send the payroll survey" in body and "price the LMS licences" in body
        assert "book the room" not in body  # done: counted, not listed
        assert '<time datetime="2026-06-20"' not in body and "20 Jun 2026" in body
    assert "2 open</strong>, 1 closed" in report.body
    if handle.cloud:  # Dana is a configured person with a Cloud accountId: @mentioned as the owner
        assert f'ri:account-id="{DANA}"' in report.body.split("send the payroll survey")[1].split("</tr>")[0]
    assert "Open actions from the May 2026 meeting: 2 (5 min)" in june.body

    # ticking a task in May's minutes updates June's report; June's minutes stay as created
    state.confluence.simulate_manual_edit(may.id, _page(state, MAY_MINUTES).body.replace(
        "<ac:task-status>incomplete</ac:task-status><ac:task-body>price", "<ac:task-status>complete</ac:task-status>"
        "<ac:task-body>price"))
    june_body = june.body
    outcomes = {p.key: p.outcome for p in publish_monthly_report(ctx, "2026-06", confluence=handle).pages}
    assert outcomes == {"monthly:2026-06": "updated", "minutes:2026-06": "unchanged"}
    assert "1 open</strong>, 2 closed" in _page(state, "Stakeholder report 2026-06").body
    assert _page(state, JUNE_MINUTES).body == june_body


def test_a_minutes_page_deleted_by_hand_is_not_recreated(env: Any) -> None:
    state, ctx, handle = env
    publish_monthly_report(ctx, "2026-05", confluence=handle)
    _page(state, MAY_MINUTES).status = "trashed"  # a person deletes it
    for _ in range(2):
        (_, minutes) = publish_monthly_report(ctx, "2026-05", confluence=handle).pages
        assert minutes.outcome == "unchanged"
        assert _pages(state, MAY_MINUTES) == []
    report = publish_monthly_report(ctx, "2026-06", confluence=handle).pages[0]
    assert report.outcome == "created"
    assert "was deleted in Confluence: its actions cannot be carried over" in _page(
        state, "Stakeholder report 2026-06").body
    rec = load_minutes(ctx.store, "2026-05")
    assert rec is not None and rec["gone_at"] == JULY
    assert publish_monthly_report(ctx, "2026-05", confluence=handle).pages[1].note == (
        "deleted in Confluence; not recreated")


def test_unreadable_tasks_are_reported_and_the_report_still_published(env: Any) -> None:
    state, ctx, handle = env
    publish_monthly_report(ctx, "2026-05", confluence=handle)
    may = _page(state, MAY_MINUTES)
    # storage no parser reads (the sandbox's editor would refuse it; a plugin or an import may not)
    state.confluence.simulate_manual_edit(may.id, "<ac:task-list><ac:task><ac:task-status>incomplete"
                                                  "<ac:task-body>fix it</ac:task-list>")
    pages = publish_monthly_report(ctx, "2026-06", confluence=handle).pages
    assert [p.outcome for p in pages] == ["created", "created"]
    body = _page(state, "Stakeholder report 2026-06").body
    assert "could not be read" in body and "0 open</strong>, 0 closed" in body


def test_a_page_with_the_minutes_title_made_by_a_person_is_kept_not_written(env: Any) -> None:
    state, ctx, handle = env
    publish_pages(ctx, confluence=handle, pages=("roadmap",))  # parents exist
    home = _page(state, "Internal products")
    mine = state.confluence.create_page(home.space_id, MAY_MINUTES, home.id, "<p>our own notes</p>", NOW, DANA)
    (_, minutes) = publish_monthly_report(ctx, "2026-05", confluence=handle).pages
    assert minutes.outcome == "unchanged" and minutes.page_id == mine.id
    assert mine.body == "<p>our own notes</p>" and mine.version == 1
    rec = load_minutes(ctx.store, "2026-05")
    assert rec is not None and rec["how"] == "found"


def test_dry_run_shows_the_minutes_it_would_create_and_writes_nothing(env: Any) -> None:
    state, ctx, handle = env
    writes = state.stats.writes
    (_, minutes) = publish_monthly_report(ctx, "2026-05", confluence=handle, dry_run=True).pages
    assert minutes.outcome == "would-create" and "\n+[ ] " in minutes.diff and "<ac:" not in minutes.diff
    assert state.stats.writes == writes and load_minutes(ctx.store, "2026-05") is None
