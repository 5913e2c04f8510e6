"""Jira sync against a recording respx fake: request shapes, incremental cost, cursor safety,
repeated tokens, census, and the CLI's exit codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from typer.testing import CliRunner

from goldenthread.sync.jira import state as st
from goldenthread.sync.errors import BadUsage, RunFailed
from goldenthread.sync.jira.ingest import REMOVED_REASON, fetch_issue_snapshot, load_field_map, run_sync
from tests.sync.jira_fake import CLOUD, DC, NOW, TOKEN, FakeIssue, FakeJira, make_ctx, make_jira, mount

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def backlog(n: int) -> list[FakeIssue]:
    return [FakeIssue(i, T0 + timedelta(hours=i)) for i in range(1, n + 1)]


@pytest.fixture
def router():  # type: ignore[no-untyped-def]
    with respx.mock(assert_all_called=False) as r:
        yield r


def test_cloud_full_sync_request_shapes(store_url: str, router: respx.Router) -> None:
    fake = FakeJira(backlog(250))
    mount(router, fake)
    ctx = make_ctx(store_url)
    result = run_sync(ctx, jira=make_jira(ctx))
    assert (result.mode, result.fetched, result.upserted) == ("full", 250, 250)
    searches = [c for c in fake.requests("/rest/api/3/search/jql") if c[2]["fields"] != "key"]
    assert len(searches) == 3  # 250 issues: three pages, as one search would need
    # a full sync splits the backlog into issue-id ranges of whole pages, paged side by side
    ids = sorted(int(i.id) for i in fake.issues)
    assert sorted(q["jql"] for _, _, q, _ in searches) == sorted([
        f"(labels = internal-product) AND id < {ids[100]} ORDER BY updated ASC",
        f"(labels = internal-product) AND id >= {ids[100]} AND id < {ids[200]} ORDER BY updated ASC",
        f"(labels = internal-product) AND id >= {ids[200]} ORDER BY updated ASC",
    ])
    for _, _, q, _ in searches:
        fields = q["fields"].split(",")
        assert "*all" not in fields and "customfield_10100" in fields and "customfield_10108" in fields
        assert {"summary", "status", "updated", "created", "description"} <= set(fields)
        assert q["maxResults"] == "100" and "expand" not in q and q.get("nextPageToken") is None
    bulk = fake.requests("/rest/api/3/changelog/bulkfetch")
    assert len(bulk) == 1  # 250 issues fit one call (≤1000)
    assert bulk[0][0] == "POST" and bulk[0][3]["fieldIds"] == ["status"]
    assert sorted(bulk[0][3]["issueIdsOrKeys"]) == sorted(str(10000 + i) for i in range(1, 251))
    census = [c for c in fake.requests("/rest/api/3/search/jql") if c[2]["fields"] == "key"]
    assert len(census) == 1 and census[0][2]["maxResults"] == "5000"
    assert census[0][2]["jql"] == "labels = internal-product"
    store = ctx.store
    assert store.count("issues") == 250 and store.count("status_changes") == 500
    issue = store.load_issue("IPM-7")
    assert issue is not None and issue.reach == 70.0 and issue.status_category == "done"
    # cursor = the last issue's updated (ORDER BY updated ASC), below the run start
    assert st.load_cursor(store) == T0 + timedelta(hours=250)
    [run] = store.load_runs(kind="sync")
    assert run["status"] == "ok" and run["stats"]["upserted"] == 250


def test_incremental_with_nothing_changed_makes_at_most_two_requests(store_url: str, router: respx.Router) -> None:
    fake = FakeJira(backlog(120))
    mount(router, fake)
    ctx = make_ctx(store_url)
    run_sync(ctx, jira=make_jira(ctx))
    fake.calls.clear()
    result = run_sync(ctx, jira=make_jira(ctx))
    assert result.mode == "incremental"
    assert len(fake.calls) <= 2 and result.requests == len(fake.calls)
    [search] = [c for c in fake.calls if c[2].get("fields") != "key"]
    # cursor 2025-01-06 00:00 minus 5 min lookback, minute precision, UTC (the /myself zone)
    assert search[2]["jql"] == '(labels = internal-product) AND updated >= "2025-01-05 23:55" ORDER BY updated ASC'
    assert fake.requests("/changelog/bulkfetch") == []  # the overlap issue is unchanged: no refetch
    assert result.unchanged == 1 and result.upserted == 0


def test_incremental_picks_up_changes_and_new_issues(store_url: str, router: respx.Router) -> None:
    fake = FakeJira(backlog(30))
    mount(router, fake)
    ctx = make_ctx(store_url)
    run_sync(ctx, jira=make_jira(ctx))
    fake.issues[4].updated = T0 + timedelta(days=3)  # IPM-5 edited
    fake.issues[4].status = "In Progress"
    fake.issues.append(FakeIssue(31, T0 + timedelta(days=3, minutes=1)))
    fake.calls.clear()
    result = run_sync(ctx, jira=make_jira(ctx))
    assert result.upserted == 2 and result.changelogs == 2
    assert sorted(fake.requests("/changelog/bulkfetch")[0][3]["issueIdsOrKeys"]) == ["10005", "10031"]
    assert ctx.store.load_issue("IPM-5").status == "In Progress"  # type: ignore[union-attr]
    assert ctx.store.count("issues") == 31


def test_cursor_not_advanced_when_a_page_fails(store_url: str, router: respx.Router) -> None:
    fake = FakeJira(backlog(250))
    # the 2nd search call fails twice (the policy allows 2 attempts): the run fails there
    fake.fail["/rest/api/3/search/jql#2"] = httpx.Response(500, json={"errorMessages": ["boom"]})
    fake.fail["/rest/api/3/search/jql#3"] = httpx.Response(500, json={"errorMessages": ["boom"]})
    mount(router, fake)
    ctx = make_ctx(store_url)
    with pytest.raises(RunFailed):
        run_sync(ctx, jira=make_jira(ctx), streams=1)
    # page 1 (issues 1..100) committed with its histories; the cursor covers exactly that page
    assert ctx.store.count("issues") == 100 and ctx.store.count("status_changes") == 200
    assert st.load_cursor(ctx.store) == T0 + timedelta(hours=100)
    assert ctx.store.load_runs(kind="sync")[0]["status"] == "failed"
    # the rerun resumes incrementally and ends equal to a clean sync
    fake.fail.clear()
    result = run_sync(ctx, jira=make_jira(ctx))
    assert result.mode == "incremental"
    assert ctx.store.count("issues") == 250 and ctx.store.count("status_changes") == 500


def test_crash_between_pages_then_rerun_equals_clean_full_sync(tmp_path, router: respx.Router) -> None:  # type: ignore[no-untyped-def]
    fake = FakeJira(backlog(400))  # two streams of two full pages each
    mount(router, fake)
    crashed = make_ctx(f"sqlite:///{tmp_path / 'crashed.db'}")
    committed: list[int] = []

    def crash(index: int, n: int) -> None:
        committed.append(n)
        if len(committed) == 3:
            raise KeyboardInterrupt  # as abrupt as we can get in-process, between two commits

    with pytest.raises(KeyboardInterrupt):
        run_sync(crashed, jira=make_jira(crashed), on_page=crash)
    assert crashed.store.count("issues") == 300  # three pages committed, whichever streams they came from
    run_sync(crashed, jira=make_jira(crashed))
    clean = make_ctx(f"sqlite:///{tmp_path / 'clean.db'}")
    run_sync(clean, jira=make_jira(clean))
    assert crashed.store.load_issues() == clean.store.load_issues()
    assert crashed.store.load_status_changes() == clean.store.load_status_changes()


@pytest.mark.parametrize("deployment", ["cloud", "datacenter"])
def test_side_by_side_streams_never_move_the_cursor_past_an_uncommitted_page(
    tmp_path, router: respx.Router, deployment: str,  # type: ignore[no-untyped-def]
) -> None:
    # 400 issues, `updated` rising with the id: stream 1 holds ids 1..200, stream 2 ids 201..400.
    # Stream 1's second page fails for good; stream 2 is still paged to its end and committed.
    base = CLOUD if deployment == "cloud" else DC
    fake = FakeJira(backlog(400), deployment=deployment, base=base)
    user = "me@example.com" if deployment == "cloud" else ""
    ctx = make_ctx(f"sqlite:///{tmp_path / 'a.db'}", base=base, user=user)
    stream_2 = {f"IPM-{n}" for n in range(201, 401)}

    def fail(jql: str, q: dict[str, Any]) -> httpx.Response | None:
        later_page = q.get("nextPageToken") or q.get("startAt", "0") != "0"
        if "id <" in jql and "id >=" not in jql and later_page:
            return httpx.Response(500, json={"errorMessages": ["boom"]})
        return None

    fake.fail_search = fail
    mount(router, fake)
    with pytest.raises(RunFailed):
        run_sync(ctx, jira=make_jira(ctx, deployment))
    stored = {i.key for i in ctx.store.load_issues()}
    assert not stored & {f"IPM-{n}" for n in range(101, 201)}  # the failed page never landed
    assert stream_2 | {f"IPM-{n}" for n in range(1, 101)} == stored
    # stream 2 (updated up to 400 h) is complete, but must not carry the cursor past stream 1's
    # last committed issue (100 h): the next run would skip issues 101..200
    assert st.load_cursor(ctx.store) == T0 + timedelta(hours=100)
    fake.fail_search = None
    run_sync(ctx, jira=make_jira(ctx, deployment))
    clean = make_ctx(f"sqlite:///{tmp_path / 'clean.db'}", base=base, user=user)
    run_sync(clean, jira=make_jira(clean, deployment))
    assert ctx.store.count("issues") == 400
    assert ctx.store.load_issues() == clean.store.load_issues()
    assert ctx.store.load_status_changes() == clean.store.load_status_changes()


def test_a_jira_that_refuses_id_ranges_is_paged_as_one_search(store_url: str, router: respx.Router) -> None:
    fake = FakeJira(backlog(250))

    def refuse(jql: str, q: dict[str, Any]) -> httpx.Response | None:
        if " id <" in jql or " id >=" in jql:
            return httpx.Response(400, json={"errorMessages": ["Field 'id' does not support operator '>='."]})
        return None

    fake.fail_search = refuse
    mount(router, fake)
    ctx = make_ctx(store_url)
    result = run_sync(ctx, jira=make_jira(ctx))
    assert result.upserted == 250 and ctx.store.count("issues") == 250
    assert any("issue-id ranges" in w for w in result.warnings)
    plain = [c for c in fake.requests("/search/jql") if c[2]["jql"] == "(labels = internal-product) ORDER BY updated ASC"]
    assert len(plain) == 3  # the backlog paged as one search after the refusal
    assert st.load_cursor(ctx.store) == T0 + timedelta(hours=250)


def test_issue_created_after_the_census_is_not_marked_removed(store_url: str, router: respx.Router) -> None:
    fake = FakeJira(backlog(300))
    late = backlog(301)[-1]  # created between the census and the searches, with the highest id

    def arrive(jql: str, q: dict[str, Any]) -> None:
        if q.get("fields") != "key" and late not in fake.issues:
            fake.issues.append(late)

    fake.fail_search = lambda jql, q: arrive(jql, q)  # type: ignore[func-returns-value]
    mount(router, fake)
    ctx = make_ctx(store_url)
    result = run_sync(ctx, jira=make_jira(ctx))
    census = [c for c in fake.requests("/search/jql") if c[2]["fields"] == "key"]
    assert len(census) == 1 and result.census
    assert result.removed == 0 and ctx.store.count("issues") == 301
    assert late.key in {i.key for i in ctx.store.load_issues()}


def test_repeated_page_token_is_an_error(store_url: str, router: respx.Router) -> None:
    fake = FakeJira(backlog(450))
    fake.repeat_token = True
    mount(router, fake)
    ctx = make_ctx(store_url)
    with pytest.raises(RunFailed, match="twice"):
        run_sync(ctx, jira=make_jira(ctx), streams=1)
    assert len(fake.requests("/search/jql")) == 3  # tokens 100, 0, then 100 again: stop


def test_census_marks_relabelled_issue_removed(store_url: str, router: respx.Router) -> None:
    fake = FakeJira(backlog(20))
    mount(router, fake)
    ctx = make_ctx(store_url, clock=lambda: NOW)
    run_sync(ctx, jira=make_jira(ctx))
    fake.issues[2].labels = ["something-else"]  # IPM-3 relabelled out of the backlog
    fake.issues[2].updated = T0 + timedelta(days=2)
    result = run_sync(ctx, jira=make_jira(ctx))
    assert result.census and result.removed == 1
    assert ctx.store.load_removed() == [("IPM-3", NOW, REMOVED_REASON)]
    assert "IPM-3" not in {i.key for i in ctx.store.load_issues()}


def test_invalid_jql_is_bad_usage_with_jiras_message(store_url: str, router: respx.Router) -> None:
    fake = FakeJira(backlog(3))
    fake.jql_error = "Error in the JQL Query: Expecting operator but got 'internal'. (line 1, character 8)"
    mount(router, fake)
    ctx = make_ctx(store_url)
    with pytest.raises(BadUsage, match="Expecting operator but got 'internal'"):
        run_sync(ctx, jira=make_jira(ctx))


def test_datacenter_startat_paging_with_changelog_and_pat(store_url: str, router: respx.Router) -> None:
    fake = FakeJira(backlog(130), deployment="datacenter", base=DC)
    mount(router, fake)
    ctx = make_ctx(store_url, base=DC, user="")
    result = run_sync(ctx, jira=make_jira(ctx, "datacenter"), streams=1)
    assert result.upserted == 130 and result.deployment == "datacenter"
    searches = [c for c in fake.requests("/rest/api/2/search") if c[2]["fields"] != "key"]
    assert [q["startAt"] for _, _, q, _ in searches] == ["0", "100"]
    assert all(q["expand"] == "changelog" for _, _, q, _ in searches)
    assert fake.requests("/bulkfetch") == [] and fake.requests("/rest/api/3/search/jql") == []
    auth = [r.request.headers["Authorization"] for r in router.calls]
    assert auth and all(a == f"Bearer {TOKEN}" for a in auth)
    issue = ctx.store.load_issue("IPM-1")
    assert issue is not None and issue.reporter is not None and issue.reporter.id == "rita"
    assert issue.status_category == "done"  # DC status has no category inline: from /status
    assert ctx.store.count("status_changes") == 260


def test_fetch_issue_snapshot_cloud_full_history(store_url: str, router: respx.Router) -> None:
    fake = FakeJira(backlog(3))
    router.get(f"{CLOUD}/rest/api/3/issue/IPM-2").mock(
        return_value=httpx.Response(200, json=fake._render(fake.issues[1], ["summary", "status", "created", "updated",
                                                                            "project", "issuetype"], False)))
    router.get(f"{CLOUD}/rest/api/3/issue/IPM-404").mock(
        return_value=httpx.Response(404, json={"errorMessages": ["Issue does not exist"]}))
    mount(router, fake)  # after the specific routes: respx matches in order
    ctx = make_ctx(store_url)
    jira = make_jira(ctx)
    fm = load_field_map(ctx, jira)
    snap = fetch_issue_snapshot(jira, fm, "IPM-2")
    assert snap is not None and [c.to_status for c in snap.changes] == ["In Progress", "Done"]
    assert fetch_issue_snapshot(jira, fm, "IPM-404") is None


def test_cli_invalid_jql_exits_2_and_wrong_credentials_exit_1(tmp_path, monkeypatch, router: respx.Router) -> None:  # type: ignore[no-untyped-def]
    from goldenthread.cli.app import app

    cfg = tmp_path / "goldenthread.yaml"
    cfg.write_text("jira:\n  backlog_jql: 'labels = = internal'\nfields:\n  reach: Reach\n", encoding="utf-8")
    monkeypatch.setenv("JIRA_URL", CLOUD)
    monkeypatch.setenv("JIRA_USER", "me@example.com")
    monkeypatch.setenv("JIRA_TOKEN", TOKEN)
    monkeypatch.setenv("GOLDENTHREAD_DATABASE_URL", f"sqlite:///{tmp_path / 'gt.db'}")
    fake = FakeJira(backlog(2))
    fake.jql_error = "Error in the JQL Query: Expecting either a value, list or function but got '='."
    mount(router, fake)
    runner = CliRunner()
    result = runner.invoke(app, ["sync", "--config", str(cfg)])
    assert result.exit_code == 2, result.output
    assert "Expecting either a value, list or function but got '='" in result.output

    fake.jql_error = None
    fake.status_401 = True
    result = runner.invoke(app, ["sync", "--config", str(cfg)])
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert CLOUD in text and "check JIRA_USER / JIRA_TOKEN" in text
    assert TOKEN not in result.output
