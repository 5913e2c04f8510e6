"""The transport: retry classification, Retry-After, redaction, multipart, library calls via respx."""

from __future__ import annotations

import base64
import io
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import httpx
import pytest
import requests
import respx
from atlassian import Jira
from atlassian.confluence import ConfluenceServer

from goldenthread import __version__
from goldenthread.sync.http.classify import parse_retry_after
from goldenthread.sync.http.redaction import get_redactor, install_redaction
from goldenthread.sync.http.session import RequestCounter, build_session
from goldenthread.sync.http.transport import RequestRecord, RetryPolicy

BASE = "https://example.atlassian.net"
USER = "ana@example.com"
TOKEN = "ATATT3xFfGF0-Zq9dummyTokenValue_7788=AB12CD34"
BASIC = base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
NOW = datetime(2024, 5, 6, 12, 0, 0, tzinfo=timezone.utc)


class Waits:
    """Records tenacity's sleeps instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def records() -> list[RequestRecord]:
    return []


@pytest.fixture
def session(waits: Waits, records: list[RequestRecord]) -> requests.Session:
    policy = RetryPolicy(sleep=waits, now=lambda: NOW)
    s = build_session(user=USER, token=TOKEN, base_url=BASE, retry=policy, on_request=records.append)
    yield s
    s.close()


@respx.mock
def test_429_with_retry_after_seconds_waits_that_long_then_succeeds(session, waits, records):
    route = respx.get(f"{BASE}/rest/api/2/myself").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={"ok": 1})]
    )
    resp = session.get(f"{BASE}/rest/api/2/myself")
    assert resp.status_code == 200 and resp.json() == {"ok": 1}
    assert route.call_count == 2
    assert waits.calls == [7.0]
    assert [(r.status, r.attempt) for r in records] == [(429, 1), (200, 2)]
    assert records[0].path == "/rest/api/2/myself" and records[0].method == "GET"


@respx.mock
def test_retry_after_as_http_date(session, waits):
    respx.get(f"{BASE}/x").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "Mon, 06 May 2024 12:00:30 GMT"}),
                     httpx.Response(200)]
    )
    assert session.get(f"{BASE}/x").status_code == 200
    assert waits.calls == [30.0]  # 12:00:30 minus the injected clock's 12:00:00


@respx.mock
def test_retry_after_is_capped(session, waits, caplog):
    respx.get(f"{BASE}/x").mock(side_effect=[httpx.Response(503, headers={"Retry-After": "3600"}),
                                             httpx.Response(200)])
    with caplog.at_level(logging.WARNING):
        assert session.get(f"{BASE}/x").status_code == 200
    assert waits.calls == [120.0]
    assert any("cap" in r.getMessage() for r in caplog.records)
    assert any("retrying in 120.0 s" in r.getMessage() for r in caplog.records)


def test_parse_retry_after_forms():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Mon, 06 May 2024 11:59:00 GMT", lambda: NOW) == 0.0  # in the past
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@respx.mock
def test_503_without_retry_after_is_retried_with_backoff(session, waits):
    route = respx.get(f"{BASE}/x").mock(side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(200)])
    assert session.get(f"{BASE}/x").status_code == 200
    assert route.call_count == 3
    # 1 s then 2 s exponential, each plus up to 1 s of jitter
    assert len(waits.calls) == 2
    assert 1.0 <= waits.calls[0] <= 2.0 and 2.0 <= waits.calls[1] <= 3.0


@respx.mock
def test_500_is_retried_with_growing_backoff(session, waits):
    route = respx.get(f"{BASE}/x").mock(side_effect=[httpx.Response(500)] * 3 + [httpx.Response(200)])
    assert session.get(f"{BASE}/x").status_code == 200
    assert route.call_count == 4
    assert [int(w) for w in waits.calls] == [1, 2, 4]  # floor removes the < 1 s jitter


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 410])
@respx.mock
def test_other_4xx_are_not_retried(session, waits, status):
    route = respx.get(f"{BASE}/x").mock(return_value=httpx.Response(status, json={"errorMessages": ["no"]}))
    assert session.get(f"{BASE}/x").status_code == status
    assert route.call_count == 1
    assert waits.calls == []


@respx.mock
def test_connection_error_on_get_is_retried(session, waits, records):
    route = respx.get(f"{BASE}/x").mock(
        side_effect=[httpx.RemoteProtocolError("Server disconnected"), httpx.ReadTimeout("slow"),
                     httpx.Response(200, json={})]
    )
    assert session.get(f"{BASE}/x").status_code == 200
    assert route.call_count == 3 and len(waits.calls) == 2
    assert [r.error for r in records] == ["RemoteProtocolError", "ReadTimeout", None]


@respx.mock
def test_post_after_read_error_is_not_retried(session, waits):
    route = respx.post(f"{BASE}/rest/api/3/issue").mock(side_effect=[httpx.ReadError("reset"), httpx.Response(201)])
    with pytest.raises(requests.exceptions.ConnectionError) as info:
        session.post(f"{BASE}/rest/api/3/issue", json={"fields": {}})
    assert route.call_count == 1 and waits.calls == []
    assert "may have reached the server" in str(info.value)


@respx.mock
def test_put_500_of_a_page_update_is_returned_not_retried(session, waits):
    # a Confluence page version may have landed: the publisher re-reads before writing again
    route = respx.put(f"{BASE}/wiki/api/v2/pages/42").mock(side_effect=[httpx.Response(500), httpx.Response(200)])
    assert session.put(f"{BASE}/wiki/api/v2/pages/42", json={}).status_code == 500
    assert route.call_count == 1


@respx.mock
@pytest.mark.parametrize("method,path", [
    ("PUT", "/rest/api/3/issue/A-1"), ("POST", "/rest/api/3/issue/A-1/watchers"),
    ("PUT", "/jira/rest/api/2/issue/A-1"),  # Data Center under a context path
])
def test_idempotent_writes_are_retried_like_reads(session, waits, method, path):
    """The write-back's atomic adds gave up on the first 500 or reset; repeating them changes nothing."""
    route = respx.route(method=method, url=f"{BASE}{path}").mock(
        side_effect=[httpx.Response(500), httpx.ReadError("connection reset"), httpx.Response(204)])
    resp = session.request(method, f"{BASE}{path}", json={"update": {"customfield_1": [{"add": {"accountId": "x"}}]}})
    assert resp.status_code == 204 and route.call_count == 3 and len(waits.calls) == 2
    assert len({c.request.content for c in route.calls}) == 1


@respx.mock
@pytest.mark.parametrize("method,path", [
    ("POST", "/rest/api/3/issue"), ("PUT", "/rest/api/3/issue/A-1/transitions"), ("DELETE", "/rest/api/3/issue/A-1"),
    ("POST", "/rest/api/3/issue/A-1/comment"),
])
def test_other_issue_writes_are_not_retried_after_a_500(session, waits, method, path):
    route = respx.route(method=method, url=f"{BASE}{path}").mock(side_effect=[httpx.Response(500), httpx.Response(204)])
    assert session.request(method, f"{BASE}{path}", json={}).status_code == 500
    assert route.call_count == 1


@respx.mock
def test_post_is_retried_on_429_and_on_connect_error(session, waits):
    route = respx.post(f"{BASE}/rest/api/3/issue").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(429, headers={"Retry-After": "2"}),
                     httpx.Response(201, json={"key": "A-1"})]
    )
    resp = session.post(f"{BASE}/rest/api/3/issue", json={"fields": {"summary": "s"}})
    assert resp.status_code == 201 and route.call_count == 3
    assert waits.calls[1] == 2.0
    # the same body was sent on every attempt
    assert {c.request.content for c in route.calls} == {b'{"fields": {"summary": "s"}}'}


@respx.mock
def test_read_only_post_is_retried_after_read_error(session):
    route = respx.post(f"{BASE}/rest/api/3/changelog/bulkfetch").mock(
        side_effect=[httpx.ReadError("reset"), httpx.Response(200, json={"issueChangeLogs": []})]
    )
    assert session.post(f"{BASE}/rest/api/3/changelog/bulkfetch", json={"issueIdsOrKeys": ["A-1"]}).ok
    assert route.call_count == 2


@respx.mock
def test_max_attempts_then_last_status_or_clear_error(waits):
    policy = RetryPolicy(max_attempts=3, sleep=waits)
    s = build_session(user=USER, token=TOKEN, base_url=BASE, retry=policy)
    route = respx.get(f"{BASE}/down").mock(return_value=httpx.Response(503))
    resp = s.get(f"{BASE}/down")
    assert resp.status_code == 503 and route.call_count == 3 and len(waits.calls) == 2
    assert resp.attempts == 3

    respx.get(f"{BASE}/gone").mock(side_effect=httpx.ConnectError("Connection refused"))
    with pytest.raises(requests.exceptions.ConnectionError) as info:
        s.get(f"{BASE}/gone")
    assert "gave up after 3 attempt(s)" in str(info.value)
    assert "Connection refused" in str(info.value)


@respx.mock
def test_timeouts_map_to_requests_timeouts(waits):
    s = build_session(user=USER, token=TOKEN, base_url=BASE, retry=RetryPolicy(max_attempts=1, sleep=waits))
    respx.get(f"{BASE}/slow").mock(side_effect=httpx.ReadTimeout("timed out"))
    respx.get(f"{BASE}/noconn").mock(side_effect=httpx.ConnectTimeout("timed out"))
    with pytest.raises(requests.exceptions.ReadTimeout):
        s.get(f"{BASE}/slow")
    with pytest.raises(requests.exceptions.ConnectTimeout):
        s.get(f"{BASE}/noconn")


@respx.mock
def test_auth_headers_and_user_agent():
    route = respx.get(f"{BASE}/x").mock(return_value=httpx.Response(200))
    build_session(user=USER, token=TOKEN, base_url=BASE).get(f"{BASE}/x")
    sent = route.calls.last.request.headers
    assert sent["Authorization"] == f"Basic {BASIC}"
    assert sent["User-Agent"] == f"goldenthread/{__version__}"

    build_session(user="", token="pat-123456789", base_url=BASE).get(f"{BASE}/x")
    assert route.calls.last.request.headers["Authorization"] == "Bearer pat-123456789"


@respx.mock
def test_token_never_sent_to_another_origin():
    route = respx.get("https://elsewhere.example.org/avatar").mock(return_value=httpx.Response(200))
    build_session(user=USER, token=TOKEN, base_url=BASE).get("https://elsewhere.example.org/avatar")
    assert "Authorization" not in route.calls.last.request.headers


@respx.mock
def test_token_never_in_logs_or_exceptions(caplog, waits):
    caplog.set_level(logging.DEBUG)
    s = build_session(user=USER, token=TOKEN, base_url=BASE, retry=RetryPolicy(max_attempts=2, sleep=waits))
    leaky = f"{BASE}/rest/api/2/search?jql=project%3DA&token={TOKEN}"
    respx.get(url__startswith=f"{BASE}/rest/api/2/search").mock(
        side_effect=[httpx.Response(500, text="boom"), httpx.Response(404, text="nope")]
    )
    jira = Jira(BASE, session=s)
    errors: list[str] = []
    with pytest.raises(requests.HTTPError) as info:
        jira.get(leaky, absolute=True)  # the library logs a curl line with the URL at DEBUG
    errors += [str(info.value), repr(info.value), repr(info.value.request.headers)]
    respx.get(f"{BASE}/dead").mock(side_effect=httpx.ConnectError(f"refused for token={TOKEN}"))
    with pytest.raises(requests.exceptions.ConnectionError) as info2:
        s.get(f"{BASE}/dead?password={TOKEN}")
    errors += [str(info2.value), repr(info2.value)]
    logging.getLogger("goldenthread.test").error("auth was %s / Basic %s", TOKEN, BASIC)
    logging.getLogger("goldenthread.test").debug("headers %r", {"Authorization": f"Bearer {TOKEN}"})

    texts = [r.getMessage() for r in caplog.records] + [caplog.text] + errors
    assert any("curl" in t for t in texts)  # the library did log the URL
    for text in texts:
        assert TOKEN not in text and BASIC not in text
    assert any("token=***" in t for t in texts)


def test_redactor_masks_url_encoded_and_auth_forms():
    r = install_redaction(["s3cr3t/value+x"])
    assert r is get_redactor()
    assert r.redact("a s3cr3t/value+x b") == "a *** b"
    assert r.redact("q?token=s3cr3t%2Fvalue%2Bx&x=1") == "q?token=***&x=1"
    assert r.redact("'Authorization': 'Bearer abcdefgh123'") == "'Authorization': 'Bearer ***'"
    assert r.redact("basic settings, nextPageToken=CAEaAggD") == "basic settings, nextPageToken=CAEaAggD"


@respx.mock
def test_library_server_info_and_jql_reach_respx(session):
    info = {"baseUrl": BASE, "version": "1001.0.0-SNAPSHOT", "deploymentType": "Cloud", "buildNumber": 100280}
    respx.get(f"{BASE}/rest/api/2/serverInfo").mock(return_value=httpx.Response(200, json=info))
    search = respx.get(f"{BASE}/rest/api/3/search/jql").mock(
        return_value=httpx.Response(200, json={"issues": [{"id": "10001", "key": "HR-1"}], "isLast": True})
    )
    jira = Jira(BASE, session=session, cloud=True)
    assert jira.get_server_info()["deploymentType"] == "Cloud"
    result = jira.jql("labels = internal-product", fields=["summary", "status"], limit=50)
    assert result["issues"][0]["key"] == "HR-1"
    params = search.calls.last.request.url.params
    assert params["jql"] == "labels = internal-product" and params["fields"] == "summary,status"


@respx.mock
def test_library_error_handling_unchanged(session):
    respx.get(f"{BASE}/rest/api/2/search").mock(
        return_value=httpx.Response(400, json={"errorMessages": ["Field 'bogus' does not exist."], "errors": {}})
    )
    jira = Jira(BASE, session=session)
    with pytest.raises(requests.HTTPError) as info:
        jira.jql("bogus = 1")
    assert str(info.value) == "Field 'bogus' does not exist."
    assert info.value.response.status_code == 400
    assert info.value.response.request.method == "GET"


@respx.mock
def test_multipart_attachment_upload_through_the_library(session, tmp_path):
    wiki = f"{BASE}/wiki"
    respx.get(f"{wiki}/rest/api/content/123/child/attachment").mock(
        return_value=httpx.Response(200, json={"results": [], "size": 0})
    )
    upload = respx.post(f"{wiki}/rest/api/content/123/child/attachment").mock(
        return_value=httpx.Response(200, json={"results": [{"id": "att9", "title": "chart.png"}]})
    )
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    path = tmp_path / "chart.png"
    path.write_bytes(png)
    confluence = ConfluenceServer(wiki, session=session, cloud=True)
    confluence.attach_file(str(path), page_id="123", comment="monthly chart")
    sent = upload.calls.last.request
    content_type = sent.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.split("boundary=")[1].encode()
    assert sent.headers["X-Atlassian-Token"] == "no-check"
    assert sent.content.count(b"--" + boundary) == 7  # six form parts and the closing delimiter
    assert b'filename="chart.png"' in sent.content and b"Content-Type: image/png" in sent.content
    assert png in sent.content
    assert int(sent.headers["Content-Length"]) == len(sent.content)


@respx.mock
def test_streamed_file_body_is_resent_whole_on_retry(session, waits):
    route = respx.post(f"{BASE}/upload").mock(
        side_effect=[httpx.Response(503, headers={"Retry-After": "1"}), httpx.Response(200)]
    )
    payload = b"x" * 100_000
    session.post(f"{BASE}/upload", data=io.BytesIO(payload), headers={"Content-Type": "application/octet-stream"})
    assert [c.request.content for c in route.calls] == [payload, payload]

    gen_route = respx.post(f"{BASE}/chunks").mock(return_value=httpx.Response(200))
    session.post(f"{BASE}/chunks", data=(part for part in [b"ab", b"cd"]))
    assert gen_route.calls.last.request.content == b"abcd"


@respx.mock
def test_shared_session_from_a_thread_pool_counts_every_request(waits):
    counter = RequestCounter()
    s = build_session(user=USER, token=TOKEN, base_url=BASE, retry=RetryPolicy(sleep=waits), on_request=counter)
    lock = threading.Lock()
    seen: dict[str, int] = {}

    def reply(request: httpx.Request) -> httpx.Response:
        key = request.url.params["n"]
        with lock:
            seen[key] = seen.get(key, 0) + 1
            first = seen[key] == 1
        # every even request is rate limited once
        if first and int(key) % 2 == 0:
            return httpx.Response(429, headers={"Retry-After": "1"})
        return httpx.Response(200, json={"n": key})

    respx.get(f"{BASE}/issue").mock(side_effect=reply)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda n: s.get(f"{BASE}/issue", params={"n": n}).json()["n"], range(40)))
    assert results == [str(n) for n in range(40)]
    assert counter.snapshot() == {"200": 40, "429": 20}
    assert counter.total == 60 and waits.calls == [1.0] * 20


@respx.mock
def test_redirects_are_followed_by_requests_and_auth_stays_on_its_origin(session):
    respx.get(f"{BASE}/wiki/x/AbC").mock(
        return_value=httpx.Response(302, headers={"Location": f"{BASE}/wiki/spaces/HR/pages/123/Roadmap"})
    )
    final = respx.get(f"{BASE}/wiki/spaces/HR/pages/123/Roadmap").mock(return_value=httpx.Response(200, text="ok"))
    resp = session.get(f"{BASE}/wiki/x/AbC")
    assert resp.status_code == 200 and [r.status_code for r in resp.history] == [302]
    assert resp.url.endswith("/pages/123/Roadmap")
    assert final.calls.last.request.headers["Authorization"] == f"Basic {BASIC}"

    respx.get(f"{BASE}/media/1").mock(
        return_value=httpx.Response(303, headers={"Location": "https://media.example.net/file/1"})
    )
    media = respx.get("https://media.example.net/file/1").mock(return_value=httpx.Response(200, content=b"PNG"))
    assert session.get(f"{BASE}/media/1").content == b"PNG"
    assert "Authorization" not in media.calls.last.request.headers


@respx.mock
def test_certificate_failure_is_not_retried(session, waits):
    route = respx.get(f"{BASE}/x").mock(
        side_effect=httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    )
    with pytest.raises(requests.exceptions.SSLError):
        session.get(f"{BASE}/x")
    assert route.call_count == 1 and waits.calls == []


@respx.mock
def test_an_unreachable_host_gets_a_few_quick_attempts_not_the_full_backoff(waits):
    s = build_session(user=USER, token=TOKEN, base_url=BASE, retry=RetryPolicy(sleep=waits))
    refused = respx.get(f"{BASE}/refused").mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(requests.exceptions.ConnectionError) as info:
        s.get(f"{BASE}/refused")
    assert refused.call_count == 3 and waits.calls == [0.5, 0.5]  # 1 s in all, not 1 + 2 + 4 + 8
    assert info.value.reason == "connection refused" and info.value.unreachable is True  # type: ignore[attr-defined]
    waits.calls.clear()
    unresolvable = respx.get(f"{BASE}/dns").mock(side_effect=httpx.ConnectError("[Errno -2] Name or service not known"))
    with pytest.raises(requests.exceptions.ConnectionError) as info:
        s.get(f"{BASE}/dns")
    assert unresolvable.call_count == 3 and info.value.reason == "the host name does not resolve"  # type: ignore[attr-defined]
    waits.calls.clear()
    busy = respx.get(f"{BASE}/busy").mock(return_value=httpx.Response(503))
    assert s.get(f"{BASE}/busy").status_code == 503
    assert busy.call_count == 5 and min(waits.calls) >= 1.0  # a server that answers keeps the full backoff
