"""Deployment: the Cloud vs Data Center differences, and reading which one a site is."""

from __future__ import annotations

import pytest

from goldenthread.mappings.deployment import (
    CLOUD,
    DATA_CENTER,
    READ_ONLY_POSTS,
    Deployment,
    build_confluence_base_url,
    compute_kind_from_url,
    compute_user_id_problem,
    parse_deployment_type,
)


def test_each_kind_has_its_profile() -> None:
    assert Deployment.of("cloud") is CLOUD and Deployment.of("datacenter") is DATA_CENTER
    assert Deployment.of(CLOUD) is CLOUD
    assert (CLOUD.jira_rest, CLOUD.search_path, CLOUD.token_paging) == ("rest/api/3", "rest/api/3/search/jql", True)
    assert (DATA_CENTER.jira_rest, DATA_CENTER.search_path, DATA_CENTER.token_paging) == (
        "rest/api/2", "rest/api/2/search", False)
    assert (CLOUD.census_page, DATA_CENTER.census_page) == (5000, 1000)
    assert not CLOUD.changelog_in_search and DATA_CENTER.changelog_in_search
    assert (CLOUD.user_key, DATA_CENTER.user_key) == ("accountId", "name")
    assert CLOUD.confluence_pages_v2 and not DATA_CENTER.confluence_pages_v2


def test_read_only_posts_cover_both_searches_and_bulkfetch() -> None:
    assert "/rest/api/3/search/jql" in READ_ONLY_POSTS and "/rest/api/2/search" in READ_ONLY_POSTS
    assert "/rest/api/3/changelog/bulkfetch" in READ_ONLY_POSTS
    assert not any("issue/" in p and "bulkfetch" not in p for p in READ_ONLY_POSTS)


def test_own_user_id_from_myself() -> None:
    assert CLOUD.own_user_id({"accountId": "557058:abc", "name": "x"}) == "557058:abc"
    assert DATA_CENTER.own_user_id({"name": "gt-bot", "key": "JIRAUSER1"}) == "gt-bot"
    assert DATA_CENTER.own_user_id({"key": "JIRAUSER1"}) == "JIRAUSER1"


@pytest.mark.parametrize(
    ("info", "kind"),
    [({"deploymentType": "Cloud"}, "cloud"), ({"deploymentType": "Server"}, "datacenter"),
     ({"deploymentType": "DataCenter"}, "datacenter"), ({"version": "9.4"}, None), ([], None)],
)  # fmt: skip
def test_server_info(info: object, kind: str | None) -> None:
    assert parse_deployment_type(info) == kind


def test_hostname_guess_and_wiki_suffix() -> None:
    assert compute_kind_from_url("https://acme.atlassian.net") == "cloud"
    assert compute_kind_from_url("https://jira.corp.example") == "datacenter"
    assert build_confluence_base_url("https://acme.atlassian.net") == "https://acme.atlassian.net/wiki"
    assert build_confluence_base_url("https://acme.atlassian.net/wiki") == "https://acme.atlassian.net/wiki"
    assert build_confluence_base_url("https://wiki.corp.example") == "https://wiki.corp.example"


def test_user_id_shapes() -> None:
    assert compute_user_id_problem("dana@example.com", "cloud") is not None
    assert "Data Center username" in (compute_user_id_problem("jsmith", "cloud") or "")
    assert compute_user_id_problem("557058:aaaa", "datacenter") is not None
    assert compute_user_id_problem("jsmith", None) is None and compute_user_id_problem("", None) == "empty id"
