"""The seeded dataset: deterministic, realistic, hostile where it should be."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from goldenthread.sandbox import STAKEHOLDER_MANAGERS, build_dataset
from goldenthread.sandbox.model import STATUS_BY_NAME

NOW = datetime(2025, 6, 1, tzinfo=UTC)

# the contract from the brief, written out by hand
EXPECTED_FIELDS = {
    "customfield_10100": ("Reach", "number"),
    "customfield_10101": ("Impact", "number"),
    "customfield_10102": ("Confidence", "number"),
    "customfield_10103": ("Story Points", "number"),
    "customfield_10104": ("Business Value", "number"),
    "customfield_10105": ("Time Criticality", "number"),
    "customfield_10106": ("Risk Reduction", "number"),
    "customfield_10107": ("Objective", "option"),
    "customfield_10108": ("Stakeholders", "array"),
    "customfield_10109": ("Target quarter", "option"),
    "customfield_10110": ("Team", "option"),
    "customfield_10111": ("Adoption rate", "number"),
    "customfield_10112": ("Satisfaction", "number"),
}


def _fingerprint(d):  # type: ignore[no-untyped-def]
    return [(i.key, i.summary, i.status, i.created, i.updated, tuple(i.labels), sorted(i.custom.items(), key=str),
             [(h.id, h.created, h.items) for h in i.histories]) for i in d.issues]


def test_same_seed_same_data_and_other_seed_differs() -> None:
    a, b = build_dataset(seed=11, issues=150, now=NOW), build_dataset(seed=11, issues=150, now=NOW)
    assert _fingerprint(a) == _fingerprint(b)
    assert _fingerprint(build_dataset(seed=12, issues=150, now=NOW)) != _fingerprint(a)


def test_custom_fields_have_the_contract_ids_names_and_types() -> None:
    d = build_dataset(issues=10, now=NOW)
    got = {f.id: (f.name, f.schema["type"]) for f in d.fields}
    for fid, expected in EXPECTED_FIELDS.items():
        assert got[fid] == expected
    assert d.fields_by_id["customfield_10108"].schema["custom"].endswith(":multiuserpicker")
    assert d.fields_by_id["customfield_10108"].schema["items"] == "user"
    names = {f.name for f in d.fields}
    assert {"Story point estimate", "Epic Link", "Reach (old)"} <= names


def test_histories_are_ordered_and_before_now_and_status_chain_is_consistent() -> None:
    d = build_dataset(seed=3, issues=300, now=NOW)
    for issue in d.issues:
        times = [h.created for h in issue.histories]
        assert times == sorted(times)
        assert all(issue.created <= t <= NOW for t in times)
        chain = [it for h in issue.histories for it in h.items if it.field == "status"]
        for before, after in zip(chain, chain[1:], strict=False):
            assert before.to_string == after.from_string
        if chain:
            assert chain[-1].to_string == issue.status


def test_realistic_workflow_shapes_are_present() -> None:
    d = build_dataset(seed=7, issues=300, now=NOW)

    def statuses(issue):  # type: ignore[no-untyped-def]
        return [it.to_string for h in issue.histories for it in h.items if it.field == "status"]

    done = [i for i in d.issues if STATUS_BY_NAME[i.status].category == "done" and i.status != "Won't Do"]
    reopened = [i for i in done if statuses(i).count("Done") >= 2]
    no_history = [i for i in done if not statuses(i)]
    released_later = [i for i in done if statuses(i)[-2:] == ["Done", "Released"]]
    skipped = [i for i in done if statuses(i) and "In Progress" not in statuses(i)]
    assert reopened and released_later and skipped
    assert no_history and all(i.resolution_date is not None for i in no_history)
    with_history = [i for i in done if statuses(i)]
    mean = sum(len(statuses(i)) for i in with_history) / len(with_history)
    assert 4 <= mean <= 8  # "about six status changes per done issue"
    assert {"Backlog", "To Do", "In Progress", "In Review", "Done", "Released", "Won't Do"} == {i.status for i in d.issues}


def test_unscored_and_distractor_issues_exist() -> None:
    d = build_dataset(seed=7, issues=300, now=NOW)
    backlog = [i for i in d.issues if "internal-product" in i.labels]
    outside = [i for i in d.issues if "internal-product" not in i.labels]
    assert outside and len(backlog) > 0.8 * len(d.issues)
    assert any("internal-products" in i.labels for i in outside)  # near-miss label
    assert any("customfield_10100" not in i.custom for i in backlog)
    assert any(i.custom.get("customfield_10103") == 0 for i in backlog)
    conf = [i.custom["customfield_10102"] for i in backlog if "customfield_10102" in i.custom]
    assert any(c <= 1 for c in conf) and any(c >= 50 for c in conf)


def test_hostile_corpus_is_in_the_backlog_when_asked_for() -> None:
    d = build_dataset(seed=5, issues=200, now=NOW, hostile=True)
    text = "\n".join(i.summary + "\n" + i.description for i in d.issues if "internal-product" in i.labels)
    for needle in ('<ac:structured-macro ac:name="html">', "]]>", "<script>alert(1)</script>", "&amp;", "{html}",
                   "[~accountid:557058:"):
        assert needle in text, needle
    assert re.search("[\u0600-\u06ff]", text) and re.search("[\u0590-\u05ff]", text)  # Arabic and Hebrew
    assert re.search("[\U0001f300-\U0001faff]", text)  # emoji
    assert max(len(i.summary) for i in d.issues) > 1000


def test_users_are_stable_and_managers_have_cloud_ids() -> None:
    d1, d2 = build_dataset(seed=1, issues=5, now=NOW), build_dataset(seed=2, issues=5, now=NOW)
    assert [u.account_id for u in d1.users] == [u.account_id for u in d2.users]
    assert len(d1.users) == 15 and len({u.account_id for u in d1.users}) == 15
    for u in STAKEHOLDER_MANAGERS:
        assert re.fullmatch(r"557058:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", u.account_id)


def test_churn_adds_back_and_forth_moves_and_keeps_each_status_chain_consistent() -> None:
    plain = build_dataset(seed=7, issues=2000, now=NOW)
    assert _fingerprint(build_dataset(seed=7, issues=2000, now=NOW, churn=0.0)) == _fingerprint(plain)
    churned = build_dataset(seed=7, issues=2000, now=NOW, churn=1.6)

    def status_items(issue):  # type: ignore[no-untyped-def]
        return [it for h in issue.histories for it in h.items if it.field_id == "status"]

    def mean_changes(d):  # type: ignore[no-untyped-def]
        backlog = d.backlog_issues()
        return sum(len(status_items(i)) for i in backlog) / len(backlog)

    # each churn loop is two moves; ~85% of issues move at all: 3.3 + 2 * 1.6 * 0.85 ~ 6
    assert 3.0 < mean_changes(plain) < 3.6
    assert 5.6 < mean_changes(churned) < 6.4
    for issue in churned.issues:
        items = status_items(issue)
        for before, after in zip(items, items[1:], strict=False):
            assert after.from_string == before.to_string and after.from_string != after.to_string
        if items:
            assert items[-1].to_string == issue.status
            times = [h.created for h in issue.histories]
            assert times == sorted(times) and times[-1] <= NOW


def test_titles_read_like_a_company_backlog_none_twice_and_no_test_corpus_by_default() -> None:
    d = build_dataset(seed=5, issues=200, now=NOW)
    summaries = [i.summary for i in d.issues]
    assert len(set(summaries)) == len(summaries)
    text = "\n".join(s + "\n" + i.description for s, i in zip(summaries, d.issues, strict=True))
    for needle in ("<", ">", "]]>", "{html}", "[~accountid:", "&amp;"):
        assert needle not in text, needle
    assert all(i.summary.startswith("Fix ") for i in d.issues if i.issue_type == "Bug")
    assert max(len(s) for s in summaries) < 120
    # the same backlog either way: only the text differs
    hostile = build_dataset(seed=5, issues=200, now=NOW, hostile=True)
    assert [(i.key, i.status, i.created, i.updated, i.custom) for i in hostile.issues] == [
        (i.key, i.status, i.created, i.updated, i.custom) for i in d.issues]
    # shipped work often has a release note written for the company
    shipped = [i for i in d.issues if i.status in ("Done", "Released")]
    notes = [i.custom["customfield_10113"] for i in shipped if "customfield_10113" in i.custom]
    assert 0.4 < len(notes) / len(shipped) < 0.8 and all(n.endswith(".") for n in notes)
    # a backlog far bigger than the title lists still never repeats one
    big = [i.summary for i in build_dataset(seed=5, issues=3000, now=NOW).issues]
    assert len(set(big)) == len(big)
