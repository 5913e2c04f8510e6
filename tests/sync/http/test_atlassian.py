"""Client factory, deployment detection and error classification, against respx."""

from __future__ import annotations

import json

import httpx
import pytest
import requests
import respx
from atlassian import Jira
from atlassian.confluence import ConfluenceServer
from atlassian.errors import ApiError
from pydantic import SecretStr

from goldenthread.sync.http.atlassian import build_clients, build_confluence, build_jira, detect_deployment
from goldenthread.sync.http.errors import (
    AuthError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    classify_error,
)
from goldenthread.sync.errors import BadUsage
from goldenthread.sync.settings import Settings
from goldenthread.sync.http.session import build_session
from goldenthread.sync.http.transport import RetryPolicy
from tests.conftest import FIXTURES

CLOUD = "https://acme.atlassian.net"
DC = "https://jira.corp.example"
WIKI_DC = "https://wiki.corp.example/confluence"
TOKEN = "ATATT3xFfGF0-secretTokenValue-4242=EF56"

# Realistic serverInfo answers (hand-written from the documented shape).
CLOUD_INFO = {
    "baseUrl": CLOUD, "displayUrl": CLOUD, "version": "1001.0.0-SNAPSHOT", "versionNumbers": [1001, 0, 0],
    "deploymentType": "Cloud", "buildNumber": 100286, "buildDate": "2025-05-14T00:00:00.000+0000",
    "serverTime": "2025-05-15T09:12:31.245+0000", "scmInfo": "a1e0d6b6e2b7c6c8b6b2ee0f0d48f2a0a1c5e3b9",
    "serverTitle": "Jira", "defaultLocale": {"locale": "en_US"}, "serverTimeZone": "Etc/UTC",
}
DC_INFO = {
    "baseUrl": DC, "version": "9.12.15", "versionNumbers": [9, 12, 15], "deploymentType": "Server",
    "buildNumber": 9120015, "buildDate": "2024-09-26T00:00:00.000+0200", "databaseBuildNumber": 9120015,
    "serverTime": "2025-05-15T11:12:31.245+0200", "scmInfo": "0b5a5dbb3a3c8b0a1b5e1c0d1e6f7a8b9c0d1e2f",
    "serverTitle": "Corp Jira",
}


def no_sleep(_: float) -> None:
    pass


def settings(**overrides: str) -> Settings:
    values = {"jira_url": CLOUD, "jira_user": "ana@acme.example", "jira_token": SecretStr(TOKEN),
              "confluence_url": CLOUD, "confluence_user": "ana@acme.example", "confluence_token": SecretStr(TOKEN)}
    values.update(overrides)
    return Settings.model_construct(**values)


def session_for(base: str, user: str = "ana@acme.example"):
    return build_session(user=user, token=TOKEN, base_url=base, retry=RetryPolicy(max_attempts=2, sleep=no_sleep))


# --------------------------------------------------------------------------- detect_deployment


@respx.mock
def test_detect_cloud_and_datacenter_from_server_info():
    respx.get(f"{CLOUD}/rest/api/2/serverInfo").mock(return_value=httpx.Response(200, json=CLOUD_INFO))
    respx.get(f"{DC}/rest/api/2/serverInfo").mock(return_value=httpx.Response(200, json=DC_INFO))
    assert detect_deployment(session_for(CLOUD), CLOUD) == "cloud"
    assert detect_deployment(session_for(DC, user=""), DC) == "datacenter"
    # a loopback emulator of Cloud is recognised by what it says, not by its hostname
    respx.get("http://127.0.0.1:8765/rest/api/2/serverInfo").mock(return_value=httpx.Response(200, json=CLOUD_INFO))
    assert detect_deployment(session_for("http://127.0.0.1:8765"), "http://127.0.0.1:8765") == "cloud"


@respx.mock
def test_detect_datacenter_type_spelling():
    respx.get(f"{DC}/jira/rest/api/2/serverInfo").mock(
        return_value=httpx.Response(200, json={**DC_INFO, "deploymentType": "DataCenter"})
    )
    assert detect_deployment(session_for(DC), f"{DC}/jira/") == "datacenter"


@respx.mock
def test_detect_falls_back_on_hostname_on_5xx_or_for_confluence_when_jira_is_unreachable():
    respx.get(f"{CLOUD}/rest/api/2/serverInfo").mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    respx.get(f"{DC}/rest/api/2/serverInfo").mock(return_value=httpx.Response(502))
    assert detect_deployment(session_for(DC), DC) == "datacenter"
    # publishing only asks Jira for the deployment: an unreachable Jira is not its problem
    assert detect_deployment(session_for(CLOUD), CLOUD, service="confluence") == "cloud"


@respx.mock
def test_detect_raises_when_jira_itself_is_unreachable():
    # guessing from the hostname would only postpone the same failure to the next request
    respx.get(f"{CLOUD}/rest/api/2/serverInfo").mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(TransportError) as info:
        detect_deployment(session_for(CLOUD), CLOUD)
    assert str(info.value) == f"could not reach Jira at {CLOUD} (connection refused, 2 attempts): check JIRA_URL"


@respx.mock
def test_confluence_credentials_refused_at_serverinfo_name_the_confluence_variables():
    respx.get(f"{CLOUD}/rest/api/2/serverInfo").mock(return_value=httpx.Response(401, text="Unauthorized"))
    with pytest.raises(AuthError) as info:
        build_confluence(settings(), retry=RetryPolicy(sleep=no_sleep))
    assert "CONFLUENCE_USER / CONFLUENCE_TOKEN" in str(info.value) and "JIRA" not in str(info.value)


@respx.mock
def test_detect_raises_auth_error_on_401():
    respx.get(f"{CLOUD}/rest/api/2/serverInfo").mock(return_value=httpx.Response(401, text="Unauthorized"))
    with pytest.raises(AuthError) as info:
        detect_deployment(session_for(CLOUD), CLOUD)
    assert "JIRA_USER / JIRA_TOKEN" in str(info.value) and TOKEN not in str(info.value)


# --------------------------------------------------------------------------- classify_error


@respx.mock
def test_classify_401_names_url_and_env_vars_never_token():
    respx.get(url__startswith=f"{CLOUD}/rest/api/2/myself").mock(
        return_value=httpx.Response(401, json={"errorMessages": ["Client must be authenticated."]})
    )
    jira = Jira(CLOUD, session=session_for(CLOUD))
    with pytest.raises(requests.HTTPError) as info:
        jira.get(f"rest/api/2/myself?token={TOKEN}")
    err = classify_error(info.value, service="jira")
    assert isinstance(err, AuthError) and err.status == 401
    assert f"{CLOUD}/rest/api/2/myself" in str(err)
    assert "check JIRA_USER / JIRA_TOKEN" in str(err)
    assert TOKEN not in str(err) and TOKEN not in err.url


@respx.mock
def test_classify_403_on_confluence_names_confluence_pair():
    respx.get(f"{CLOUD}/wiki/rest/api/space/HR").mock(return_value=httpx.Response(403, json={"message": "No."}))
    confluence = ConfluenceServer(f"{CLOUD}/wiki", session=session_for(CLOUD), cloud=True)
    with pytest.raises(requests.HTTPError) as info:
        confluence.get("rest/api/space/HR")
    err = classify_error(info.value)  # service guessed from the /wiki/ path
    assert isinstance(err, AuthError) and "CONFLUENCE_USER / CONFLUENCE_TOKEN" in str(err)


@respx.mock
def test_classify_400_joins_jira_error_messages_for_invalid_jql():
    body = {"errorMessages": ["Error in the JQL Query: Expecting ')' before the end of the query.",
                              "Field 'bogus' does not exist or you do not have permission to view it."],
            "errors": {}, "warningMessages": []}
    respx.get(f"{DC}/rest/api/2/search").mock(return_value=httpx.Response(400, json=body))
    jira = Jira(DC, session=session_for(DC, user=""))
    with pytest.raises(requests.HTTPError) as info:
        jira.jql("(bogus = 1", fields=["summary"])
    err = classify_error(info.value, service="jira")
    assert isinstance(err, BadRequestError) and err.status == 400
    assert err.messages == body["errorMessages"]
    assert str(err).endswith("Expecting ')' before the end of the query.; Field 'bogus' does not exist "
                             "or you do not have permission to view it.")


@respx.mock
def test_classify_409_confluence_version_conflict():
    body = json.loads((FIXTURES / "confluence-v1-content-update-409.json").read_text())
    respx.put(f"{WIKI_DC}/rest/api/content/98765").mock(return_value=httpx.Response(409, json=body))
    confluence = ConfluenceServer(WIKI_DC, session=session_for("https://wiki.corp.example"))
    with pytest.raises(requests.HTTPError) as info:
        confluence.put("rest/api/content/98765", data={"version": {"number": 3}})
    err = classify_error(info.value, service="confluence")
    assert isinstance(err, ConflictError) and err.status == 409
    assert "Current version is: 12" in str(err)


def _http_error(status: int, *, headers: dict[str, str] | None = None, url: str = f"{CLOUD}/rest/api/3/x"):
    resp = requests.Response()
    resp.status_code = status
    resp.headers.update(headers or {})
    resp._content = b""
    resp.url = url
    return requests.HTTPError(f"{status}", response=resp)


def test_classify_other_statuses_and_wrapped_errors():
    assert isinstance(classify_error(_http_error(404)), NotFoundError)
    limited = classify_error(_http_error(429, headers={"Retry-After": "30"}))
    assert isinstance(limited, RateLimitedError) and limited.retry_after == 30.0
    assert isinstance(classify_error(_http_error(502)), ServerError)
    # atlassian-python-api wraps HTTPError in ApiError(reason=...) in many helpers
    wrapped = ApiError("There is no content with the given id", reason=_http_error(404))
    assert isinstance(classify_error(wrapped), NotFoundError)
    dead = requests.exceptions.ConnectionError(f"GET {CLOUD}/x?token={TOKEN}: refused")
    err = classify_error(dead, service="jira")
    assert isinstance(err, TransportError) and TOKEN not in str(err)


# --------------------------------------------------------------------------- factories


def test_missing_or_malformed_settings_are_bad_usage_naming_the_variable():
    with pytest.raises(BadUsage, match="JIRA_URL") as info:
        build_jira(settings(jira_url=""))
    assert "JIRA_TOKEN" not in str(info.value).split("(")[0]  # only the missing one is demanded
    with pytest.raises(BadUsage, match="set JIRA_TOKEN"):
        build_jira(settings(jira_token=SecretStr("")))
    with pytest.raises(BadUsage, match="CONFLUENCE_URL and CONFLUENCE_TOKEN"):
        build_confluence(settings(confluence_url="", confluence_token=SecretStr("")))
    with pytest.raises(BadUsage, match=r"JIRA_URL='127.0.0.1:9' is not an http\(s\) URL.*https://127.0.0.1:9\?"):
        build_jira(settings(jira_url="127.0.0.1:9"))
    with pytest.raises(BadUsage, match="CONFLUENCE_URL='ftp://wiki' is not an http"):
        build_confluence(settings(confluence_url="ftp://wiki"))


@respx.mock
def test_build_jira_cloud_detects_and_counts_requests():
    respx.get(f"{CLOUD}/rest/api/2/serverInfo").mock(return_value=httpx.Response(200, json=CLOUD_INFO))
    respx.get(f"{CLOUD}/rest/api/3/search/jql").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "1"}),
                     httpx.Response(200, json={"issues": [], "isLast": True})]
    )
    handle = build_jira(settings(), retry=RetryPolicy(sleep=no_sleep))
    assert handle.deployment == "cloud" and handle.cloud and handle.profile.jira_rest == "rest/api/3"
    assert isinstance(handle.client, Jira) and handle.client.cloud
    assert handle.cloud_client is not None and hasattr(handle.cloud_client, "get_bulk_changelogs")
    assert handle.client.jql("project = HR", fields=["summary"])["isLast"] is True
    assert handle.requests_by_status.snapshot() == {"200": 2, "429": 1}


@respx.mock
def test_build_jira_datacenter_bearer_and_v2_search_fixture():
    path = FIXTURES / "jira-dc-v2-search-page.json"
    respx.get(f"{DC}/rest/api/2/serverInfo").mock(return_value=httpx.Response(200, json=DC_INFO))
    search = respx.get(f"{DC}/rest/api/2/search").mock(return_value=httpx.Response(200, text=path.read_text()))
    handle = build_jira(settings(jira_url=DC, jira_user=""))
    assert handle.deployment == "datacenter" and handle.cloud_client is None and not handle.client.cloud
    found = handle.client.jql("labels = internal-product", fields=["summary"], start=0, limit=100)
    assert [i["key"] for i in found["issues"]] == ["HRP-58", "HRP-61", "PROC-12"]
    assert search.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert search.calls.last.request.url.params["startAt"] == "0"


@respx.mock
def test_build_confluence_cloud_uses_server_class_with_v1_methods():
    respx.get(f"{CLOUD}/rest/api/2/serverInfo").mock(return_value=httpx.Response(200, json=CLOUD_INFO))
    handle = build_confluence(settings())
    assert handle.base_url == f"{CLOUD}/wiki"  # /wiki added on Cloud
    assert handle.deployment == "cloud" and handle.client.cloud
    assert isinstance(handle.client, ConfluenceServer)
    for method in ("create_page", "update_page", "attach_content", "set_page_property"):
        assert callable(getattr(handle.client, method))


@respx.mock
def test_build_clients_detects_once_and_shares_the_pool():
    info = respx.get(f"{CLOUD}/rest/api/2/serverInfo").mock(return_value=httpx.Response(200, json=CLOUD_INFO))
    jira, confluence = build_clients(settings())
    assert info.call_count == 1
    assert jira.deployment == confluence.deployment == "cloud"
    assert jira.session.adapter.client is confluence.session.adapter.client
    jira.close()
    assert jira.session.adapter.client.is_closed


@pytest.mark.parametrize("segment,encoded", [
    ("IPM-1", "IPM-1"), ("IPM-1/../../myself", "IPM-1%2F..%2F..%2Fmyself"),
    ("IPM-1?expand=changelog&x=", "IPM-1%3Fexpand%3Dchangelog%26x%3D"), ("a#b", "a%23b"), ("..", "%2E%2E"),
    (".", "%2E"), ("a b", "a%20b"),
])
def test_build_path_encodes_every_segment(segment: str, encoded: str) -> None:
    from goldenthread.sync.http.atlassian import build_path

    assert build_path("rest/api/3", "issue", segment, "watchers") == f"rest/api/3/issue/{encoded}/watchers"


@respx.mock
@pytest.mark.parametrize("key", ["IPM-1/../../myself", "IPM-1?expand=changelog&x="])
def test_a_hostile_issue_key_stays_one_path_segment(key: str) -> None:
    """The webhook's key reached Jira unencoded: `/rest/api/3/myself` was called, or a query
    string was injected. Now the key is a single encoded segment of the issue URL."""
    from goldenthread.sync.jira.fetch import fetch_issue

    respx.get(f"{CLOUD}/rest/api/2/serverInfo").mock(return_value=httpx.Response(200, json=CLOUD_INFO))
    myself = respx.get(f"{CLOUD}/rest/api/3/myself").mock(return_value=httpx.Response(200, json={"accountId": "x"}))
    issue = respx.get(url__startswith=f"{CLOUD}/rest/api/3/issue/").mock(return_value=httpx.Response(404, json={}))
    handle = build_jira(settings(), retry=RetryPolicy(sleep=no_sleep))
    assert fetch_issue(handle, key, ["summary"]) is None
    assert not myself.called
    [call] = issue.calls
    path, _, query = call.request.url.raw_path.decode().partition("?")
    assert path.count("/") == 5 and path.startswith("/rest/api/3/issue/IPM-1%") and query == "fields=summary"
    assert set(call.request.url.params) == {"fields"}
