"""Parsing Jira JSON: the sample payloads of tests/fixtures/atlassian (real shapes) and inline ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


from goldenthread.mappings.fields import (
    FieldSpec,
    build_search_fields,
    parse_field_list,
    resolve_fields,
)
from goldenthread.mappings.jira import (
    parse_bulk_changelogs,
    parse_datetime,
    parse_embedded_changelog,
    parse_issue,
    parse_status_changes,
    parse_status_list,
    parse_webhook_snapshot,
)
from goldenthread.mappings.records import UserRef
from goldenthread.mappings.richtext import parse_adf_text, parse_wiki_text
from tests.conftest import FIXTURES



def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


FIELDS = parse_field_list(
    [
        {"id": "customfield_10100", "name": "Reach", "custom": True, "schema": {"type": "number"}},
        {"id": "customfield_10101", "name": "Impact", "custom": True, "schema": {"type": "option"}},
        {"id": "customfield_10103", "name": "Story Points", "custom": True, "schema": {"type": "number"}},
        {"id": "customfield_10107", "name": "Objective", "custom": True, "schema": {"type": "option"}},
        {"id": "customfield_10108", "name": "Stakeholders", "custom": True,
         "schema": {"type": "array", "items": "user", "custom": "x:multiuserpicker"}},
        {"id": "customfield_10110", "name": "Team", "custom": True, "schema": {"type": "string"}},
        {"id": "summary", "name": "Summary", "schema": {"type": "string", "system": "summary"}},
    ]
)
MAPPING = {"reach": "Reach", "impact": "impact", "effort": "customfield_10103", "objective": "Objective",
           "stakeholders": "STAKEHOLDERS", "team": "Team"}


def cloud_issue() -> dict:
    return {
        "id": "10042",
        "key": "IPM-7",
        "self": "https://acme.atlassian.net/rest/api/3/issue/10042",
        "fields": {
            "summary": "Payroll export <b>fails</b>",
            "status": {"name": "In Review", "statusCategory": {"key": "indeterminate"}},
            "issuetype": {"name": "Story"},
            "project": {"key": "IPM"},
            "created": "2025-03-01T09:30:00.000+0100",
            "updated": "2025-03-04T17:05:12.345+0000",
            "resolutiondate": None,
            "reporter": {"accountId": "557058:aaaa", "displayName": "Dana"},
            "assignee": None,
            "labels": ["internal-product", "hr"],
            "components": [{"id": "1", "name": "Payroll"}],
            "description": {
                "type": "doc", "version": 1,
                "content": [
                    {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Why"}]},
                    {"type": "paragraph", "content": [
                        {"type": "text", "text": "Ask "},
                        {"type": "mention", "attrs": {"id": "557058:bbbb", "text": "@Ben"}},
                        {"type": "text", "text": " about ", "marks": [{"type": "strong"}]},
                        {"type": "text", "text": "]]>"},
                    ]},
                    {"type": "bulletList", "content": [
                        {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "one"}]}]},
                        {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "two"}]}]},
                    ]},
                ],
            },
            "customfield_10100": 1200,
            "customfield_10101": {"id": "10201", "value": "2"},
            "customfield_10103": 5.0,
            "customfield_10107": {"value": "Cut payroll errors"},
            "customfield_10108": [
                {"accountId": "557058:cccc", "displayName": "Cleo"},
                {"accountId": "557058:cccc", "displayName": "Cleo"},
            ],
            "customfield_10110": None,
        },
    }


def test_resolve_by_id_and_case_insensitive_name() -> None:
    fm = resolve_fields(MAPPING, FIELDS)
    assert fm.id_for("reach") == "customfield_10100"
    assert fm.id_for("impact") == "customfield_10101"
    assert fm.id_for("effort") == "customfield_10103"
    assert fm.id_for("stakeholders") == "customfield_10108"
    assert fm.fields["stakeholders"].items == "user"
    assert not fm.unresolved


def test_resolve_unknown_and_ambiguous() -> None:
    dupes = FIELDS + [FieldSpec("customfield_20000", "Team", "option", is_custom=True)]
    fm = resolve_fields({"team": "team", "reach": "Reech"}, dupes)
    assert fm.unresolved == {"reach": "Reech"}
    assert set(fm.ambiguous["team"]) == {"customfield_10110", "customfield_20000"}
    assert fm.id_for("team") in {"customfield_10110", "customfield_20000"}


def test_search_fields_are_explicit_and_include_mapped_ids() -> None:
    fields = build_search_fields(resolve_fields(MAPPING, FIELDS))
    assert "*all" not in fields
    for name in ("summary", "status", "issuetype", "project", "created", "updated", "resolutiondate",
                 "reporter", "assignee", "labels", "components", "description"):
        assert name in fields
    assert {"customfield_10100", "customfield_10108"} <= set(fields)
    assert len(fields) == len(set(fields))


def test_cloud_v3_issue_with_adf_and_custom_values() -> None:
    issue = parse_issue(cloud_issue(), resolve_fields(MAPPING, FIELDS))
    assert issue.key == "IPM-7" and issue.id == "10042" and issue.project == "IPM"
    assert issue.project_name is None  # a project object without a name: readers get the key
    assert issue.status == "In Review" and issue.status_category == "indeterminate"
    assert issue.created == datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
    assert issue.updated == datetime(2025, 3, 4, 17, 5, 12, 345000, tzinfo=UTC)
    assert issue.url == "https://acme.atlassian.net/browse/IPM-7"
    assert issue.description == "Why\nAsk @Ben about ]]>\n- one\n- two"
    assert issue.reporter == UserRef("557058:aaaa", "Dana")
    assert issue.labels == ("internal-product", "hr") and issue.components == ("Payroll",)
    assert issue.reach == 1200.0 and issue.impact == 2.0 and issue.effort == 5.0
    assert issue.objective == "Cut payroll errors"
    assert issue.stakeholders == (UserRef("557058:cccc", "Cleo"),)
    assert issue.team is None and issue.confidence is None


def test_dc_v2_issue_users_by_name_and_wiki_description() -> None:
    raw = {
        "id": "10002", "key": "SAMPLE-2", "self": "http://jira.local:2990/jira/rest/api/2/issue/10002",
        "fields": {
            "summary": "Wiki", "status": {"name": "Open", "id": "1"},  # DC: no statusCategory inline
            "issuetype": {"name": "Task"}, "project": {"key": "SAMPLE"},
            "created": "2011-12-15T15:35:06.000+1300", "updated": "2011-12-16T10:00:00.000+1300",
            "reporter": {"name": "admin", "key": "JIRAUSER10000", "displayName": "Admin"},
            "description": "h2. Goal\n*Bold* move, see [the docs|http://x.example/docs] and {{code}}\n* first\n* second",
            "customfield_10108": [{"name": "dana", "key": "JIRAUSER10101", "displayName": "Dana"}],
        },
        "changelog": {"histories": [
            {"id": "501", "created": "2011-12-16T09:00:00.000+1300", "author": {"name": "admin"},
             "items": [{"field": "status", "fieldtype": "jira", "fromString": "Open", "toString": "In Progress"}]},
            {"id": "502", "created": "2011-12-16T09:30:00.000+1300", "author": {"name": "admin"},
             "items": [{"field": "assignee", "fieldtype": "jira", "fromString": None, "toString": "admin"}]},
        ]},
    }
    issue = parse_issue(raw, resolve_fields(MAPPING, FIELDS), statuses={"open": "new"})
    assert issue.status_category == "new"  # from the /status list, matched case-insensitively
    assert issue.reporter == UserRef("admin", "Admin")
    assert issue.stakeholders == (UserRef("dana", "Dana"),)
    assert issue.description == "Goal\nBold move, see the docs and code\n- first\n- second"
    assert issue.url == "http://jira.local:2990/jira/browse/SAMPLE-2"
    changes = parse_embedded_changelog(raw)
    assert [(c.change_id, c.from_status, c.to_status, c.author_id) for c in changes] == [
        ("501", "Open", "In Progress", "admin")
    ]
    assert changes[0].at == datetime(2011, 12, 15, 20, 0, tzinfo=UTC)


def test_datetimes_iso_and_epoch() -> None:
    assert parse_datetime(1492070429) == datetime(2017, 4, 13, 8, 0, 29, tzinfo=UTC)
    assert parse_datetime(1485797534721) == datetime(2017, 1, 30, 17, 32, 14, 721000, tzinfo=UTC)
    assert parse_datetime("2017-01-30T18:30:41.962+0100") == datetime(2017, 1, 30, 17, 30, 41, 962000, tzinfo=UTC)
    assert parse_datetime("2024-05-01T10:00:00Z") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert parse_datetime(None) is None


def test_bulkfetch_page_with_epoch_created_and_status_filter() -> None:
    page = {
        "issueChangeLogs": [
            {"issueId": "10042", "changeHistories": [
                {"id": "3", "created": 1700000600, "author": {"accountId": "557058:aaaa"},
                 "items": [{"field": "status", "fieldId": "status", "fromString": "In Progress", "toString": "Done"}]},
                {"id": "2", "created": "2023-11-14T22:13:20.000+0000",
                 "items": [{"field": "status", "fieldId": "status", "fromString": "To Do", "toString": "In Progress"},
                           {"field": "Status", "fieldId": "customfield_1", "fromString": "a", "toString": "b"}]},
            ]},
        ],
        "nextPageToken": "abc",
    }
    histories, token = parse_bulk_changelogs(page)
    assert token == "abc"
    changes = parse_status_changes("IPM-7", histories["10042"])
    assert [(c.change_id, c.to_status) for c in changes] == [("2", "In Progress"), ("3", "Done")]
    assert changes[1].at == datetime(2023, 11, 14, 22, 23, 20, tzinfo=UTC)
    assert changes[1].author_id == "557058:aaaa" and changes[0].author_id is None


def test_bulkfetch_page_reads_epoch_second_timestamps_and_only_status_items() -> None:
    histories, token = parse_bulk_changelogs(fixture("jira-cloud-changelog-bulkfetch.json"))
    assert token == "RkVUQ0gx"
    assert {k: len(v) for k, v in histories.items()} == {"10842": 2, "10877": 1}
    changes = parse_status_changes("HRP-42", histories["10842"])  # a summary edit, then a transition
    assert [(c.change_id, c.from_status, c.to_status) for c in changes] == [("10517", "To Do", "In Progress")]
    assert changes[0].at == datetime(2025, 11, 3, 8, 14, 5, tzinfo=UTC)  # `created` is epoch seconds here
    assert changes[0].author_id == "5d8c1f2e3a4b5c6d7e8f9a0b"
    assert parse_status_changes("PROC-3", histories["10877"]) == ()  # a label change only


def test_dc_search_page_users_by_name_status_without_category_and_embedded_changelogs() -> None:
    data = fixture("jira-dc-v2-search-page.json")
    fm = resolve_fields({"reach": "customfield_10100", "stakeholders": "customfield_10108"},
                        [FieldSpec("customfield_10100", "Reach", "number", is_custom=True),
                         FieldSpec("customfield_10108", "Stakeholders", "array", items="user", is_custom=True)])
    issues = [parse_issue(raw, fm, base_url="https://jira.northwind.example") for raw in data["issues"]]
    assert len(issues) == data["total"] == 3
    first = issues[0]
    assert first.key == "HRP-58" and first.project == "HRP"
    assert [(i.project, i.project_name) for i in issues] == [("HRP", "HR Portal"), ("HRP", "HR Portal"),
                                                             ("PROC", "Procurement")]
    assert first.reporter == UserRef("praman", "Priya Raman")
    assert first.stakeholders == (UserRef("praman", "Priya Raman"), UserRef("lfischer", "Lena Fischer"))
    assert first.created == datetime(2025, 6, 12, 12, 3, 11, tzinfo=UTC)
    assert first.status == "Open" and first.status_category == "new"  # no statusCategory object: "new"
    assert first.url == "https://jira.northwind.example/browse/HRP-58"
    assert issues[2].status_category == "done" and issues[2].reach == 300.0
    # the changelog items of Data Center carry no fieldId: `field: status` is the transition
    moves = {raw["key"]: parse_embedded_changelog(raw) for raw in data["issues"]}
    assert moves["HRP-58"] == ()
    assert [(c.change_id, c.from_status, c.to_status, c.author_id) for c in moves["HRP-61"]] == [
        ("60219", "Open", "In Progress", "tnowak")]
    assert moves["HRP-61"][0].at == datetime(2025, 7, 2, 8, 0, tzinfo=UTC)
    assert [c.to_status for c in moves["PROC-12"]] == ["Done"]  # the resolution item is not a status


def test_cloud_search_page_v3_adf_duplicated_stakeholders_and_empty_custom_fields() -> None:
    page = fixture("jira-cloud-search-jql-page.json")
    assert page["isLast"] is False and page["nextPageToken"]
    fm = resolve_fields(MAPPING, FIELDS)
    hr, proc = (parse_issue(raw, fm) for raw in page["issues"])
    assert hr.key == "HRP-42" and hr.status_category == "indeterminate"
    assert (hr.project_name, proc.project_name) == ("HR Portal", "Procurement")
    assert hr.description == "Employees change their home address without writing to @Priya Raman."
    assert hr.reach == 350.0 and hr.impact == 3.0 and hr.effort == 5.0
    assert hr.objective == "Employees serve themselves" and hr.team == "People Systems"
    assert [u.id for u in hr.stakeholders] == [
        "712020:5f1c2a9e-8d3b-4e6f-a1b2-c3d4e5f60718", "557058:3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"]
    assert hr.url == "https://northwind-it.atlassian.net/browse/HRP-42"
    assert proc.summary == "Three-way match for invoices under 5 000 € <auto-approve>"
    assert proc.status_category == "done" and proc.description == ""
    assert proc.reach is None and proc.stakeholders == () and proc.effort == 8.0


def test_cloud_webhook_status_change_at_the_event_timestamp_and_account_ids_first() -> None:
    payload = fixture("jira-cloud-webhook-issue-updated-status.json")
    snap = parse_webhook_snapshot(payload, resolve_fields({}, []))
    assert snap is not None
    assert snap.issue.key == "HRP-42" and snap.issue.project == "HRP"
    assert snap.issue.project_name == "HR Portal"  # webhook events name the project too
    assert snap.issue.status == "In Progress" and snap.issue.status_category == "indeterminate"
    # older Cloud accounts still carry `name`/`key`: the account id is the identity
    assert snap.issue.reporter == UserRef("712020:5f1c2a9e-8d3b-4e6f-a1b2-c3d4e5f60718", "Priya Raman")
    assert [(c.from_status, c.to_status) for c in snap.changes] == [("To Do", "In Progress")]
    assert snap.changes[0].at == datetime(2025, 11, 3, 8, 14, 5, 412000, tzinfo=UTC)  # payload timestamp
    assert snap.changes[0].change_id == "10517" and snap.changes[0].author_id == "5d8c1f2e3a4b5c6d7e8f9a0b"


def test_cloud_webhook_created_reads_the_status_item_by_field_id_not_display_name() -> None:
    payload = fixture("jira-cloud-webhook-issue-created.json")
    snap = parse_webhook_snapshot(payload, resolve_fields({}, []))
    assert snap is not None
    assert snap.issue.reporter is not None and snap.issue.reporter.id.startswith("712020:")
    assert snap.issue.assignee is None and snap.issue.description == ""
    assert (snap.issue.project, snap.issue.project_name) == ("PROC", "Procurement")
    # six items, one of them the status ("Status" is a display name; fieldId is what counts)
    assert [(c.from_status, c.to_status) for c in snap.changes] == [(None, "Backlog")]


def test_dc_deleted_webhook_has_no_changelog() -> None:
    payload = fixture("jira-dc-webhook-issue-deleted.json")
    assert payload["webhookEvent"] == "jira:issue_deleted" and "changelog" not in payload
    snap = parse_webhook_snapshot(payload, resolve_fields({}, []))
    assert snap is not None and snap.changes == ()
    assert snap.issue.key == "PROC-19" and snap.issue.reporter == UserRef("aokafor", "Amara Okafor")


def test_field_list_resolves_names_and_reports_a_duplicated_name() -> None:
    fields = parse_field_list(fixture("jira-cloud-field-list.json"))
    fm = resolve_fields({"effort": "story points", "stakeholders": "Stakeholders", "team": "Delivery team",
                         "objective": "Objective"}, fields)
    assert fm.id_for("effort") == "customfield_10103"  # not "Story point estimate"
    assert fm.id_for("stakeholders") == "customfield_10108" and fm.fields["stakeholders"].items == "user"
    assert fm.id_for("team") == "customfield_10110"
    assert set(fm.ambiguous["objective"]) == {"customfield_10107", "customfield_10213"}
    assert {f.id for f in fields} >= {"parent", "issuekey", "statusCategory"}  # fields without a schema


def test_adf_and_wiki_edge_cases() -> None:
    assert parse_adf_text({"type": "doc", "content": []}) == ""
    doc = {"type": "doc", "content": [{"type": "paragraph", "content": [
        {"type": "text", "text": "a"}, {"type": "hardBreak"}, {"type": "text", "text": "b 🚀 مرحبا"}]}]}
    assert parse_adf_text(doc) == "a\nb 🚀 مرحبا"
    assert parse_wiki_text("{code:java}x = 1{code}") == "x = 1"
    assert parse_wiki_text("ping [~accountid:557058:aaaa] now") == "ping @557058:aaaa now"


def test_status_list() -> None:
    infos = parse_status_list([{"id": "3", "name": "In Progress", "statusCategory": {"key": "indeterminate"}},
                               {"id": "9", "name": "Odd", "statusCategory": {"key": "undefined"}}])
    assert [(s.name, s.category, s.id) for s in infos] == [("In Progress", "indeterminate", "3"), ("Odd", "new", "9")]


def test_adf_date_nodes_read_epoch_milliseconds_and_survive_garbage() -> None:
    def doc(ts: object) -> dict[str, object]:
        return {"type": "doc", "content": [{"type": "paragraph", "content": [
            {"type": "text", "text": "due "}, {"type": "date", "attrs": {"timestamp": ts}}]}]}

    assert parse_adf_text(doc("1767225600000")) == "due 2026-01-01"
    assert parse_adf_text(doc("not-a-number")) == "due"


def test_release_note_from_adf_or_wiki_markup_becomes_plain_text() -> None:
    fields = [*FIELDS, FieldSpec("customfield_10113", "Release note", "string", custom="x:textarea", is_custom=True)]
    field_map = resolve_fields({**MAPPING, "release_note": "Release note"}, fields)
    adf = {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "Payslips open on "},
                                          {"type": "text", "text": "phones", "marks": [{"type": "strong"}]}]},
        {"type": "paragraph", "content": [{"type": "text", "text": "<script>alert(1)</script> ]]>"}]},
    ]}  # fmt: skip
    raw = cloud_issue()
    raw["fields"]["customfield_10113"] = adf
    assert parse_issue(raw, field_map).release_note == "Payslips open on phones\n<script>alert(1)</script> ]]>"
    raw["fields"]["customfield_10113"] = "h3. Faster *payslips*\n{html}<b>x</b>{html} see [docs|https://x.example]"
    assert parse_issue(raw, field_map).release_note == "Faster payslips\n{html}<b>x</b>{html} see docs"
    for empty in (None, "", "  ", {"type": "doc", "version": 1, "content": []}):
        raw["fields"]["customfield_10113"] = empty
        assert parse_issue(raw, field_map).release_note is None
