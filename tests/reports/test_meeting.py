"""Reading the actions of a minutes page a person edited: Confluence task storage, good and bad."""

from __future__ import annotations

from goldenthread.reports.pages.meeting import Task, parse_task_list

DANA = "557058:aaaa1111-2222-3333-4444-555566667777"


def _task(n: int, status: str | None, body: str) -> str:
    st = f"<ac:task-status>{status}</ac:task-status>" if status is not None else ""
    return f"<ac:task><ac:task-id>{n}</ac:task-id>{st}<ac:task-body>{body}</ac:task-body></ac:task>"


def _page(*tasks: str, before: str = "<h2>Actions</h2>") -> str:
    return f"{before}<ac:task-list>{''.join(tasks)}</ac:task-list>"


def test_open_tasks_with_assignee_and_due_date_and_closed_ones_counted() -> None:
    storage = _page(
        _task(1, "incomplete", f'<span class="placeholder-inline-tasks"><ac:link><ri:user ri:account-id="{DANA}" />'
                               '</ac:link> send the payroll survey by <time datetime="2026-11-20" /></span>'),
        _task(2, "complete", "book the room"),
        _task(3, "incomplete", 'ask <ac:link><ri:user ri:username="omar.haddad" /></ac:link> about leave rules'),
        _task(4, "complete", '<ac:link><ri:user ri:userkey="ff80818" /></ac:link> close the audit'),
    )
    tasks = parse_task_list(storage)
    assert tasks.open == (
        Task("send the payroll survey by", DANA, "2026-11-20"),
        Task("ask about leave rules", "omar.haddad", None),
    )
    assert tasks.closed == 2 and tasks.problems == ()


def test_editor_entities_nested_lists_and_the_empty_template_task() -> None:
    nested = _page(_task(11, "complete", "sub-step done"), _task(12, "incomplete", "sub-step open"), before="")
    storage = _page(
        _task(1, "incomplete", ""),  # the template's empty task: nobody wrote anything
        _task(2, "incomplete", f"renew the supplier&nbsp;contract &ndash; Q1{nested}"),
        before="<p>Caf&eacute; &amp; notes&hellip;</p>",
    )
    tasks = parse_task_list(storage)
    assert [t.text for t in tasks.open] == ["renew the supplier contract \u2013 Q1", "sub-step open"]
    assert tasks.closed == 1 and tasks.problems == ()


def test_unreadable_storage_is_a_problem_not_an_exception() -> None:
    tasks = parse_task_list("<ac:task-list><ac:task><ac:task-body>unclosed")
    assert tasks.open == () and tasks.closed == 0
    assert len(tasks.problems) == 1 and "could not be read" in tasks.problems[0]
    assert parse_task_list("<p>no tasks at all</p>") == parse_task_list("")


def test_a_task_without_status_or_with_a_bad_date_is_reported_and_the_rest_still_counts() -> None:
    storage = _page(
        _task(1, None, "who knows"),
        _task(2, "maybe", "half done"),
        _task(3, "incomplete", 'ship it <time datetime="2026-02-30" />'),
        _task(4, "incomplete", 'ship that <time datetime="next friday" />'),
        _task(5, "complete", "done right"),
    )
    tasks = parse_task_list(storage)
    assert [(t.text, t.due) for t in tasks.open] == [("ship it", None), ("ship that", None)]
    assert tasks.closed == 1
    assert len(tasks.problems) == 4
    assert "task 1 ('who knows') has no readable status" in tasks.problems[0]
    assert "'2026-02-30' is not a date" in tasks.problems[2]


def test_hostile_task_text_is_read_as_text() -> None:
    storage = _page(_task(1, "incomplete", "&lt;script&gt;alert(1)&lt;/script&gt; {html}x{html} ]]&gt;"))
    (task,) = parse_task_list(storage).open
    assert task.text == "<script>alert(1)</script> {html}x{html} ]]>"
