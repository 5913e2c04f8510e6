"""Status page: content, escaping, no secrets anywhere; headless Chromium render."""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from pydantic import SecretStr

from goldenthread.mappings.config import Config
from goldenthread.sync.context import AppContext
from goldenthread.sync.settings import Settings
from goldenthread.webhooks.app import AppDeps, create_app
from goldenthread.sync.store.inbox import save_event, save_pages_dirty
from goldenthread.webhooks.observability import Metrics
from goldenthread.webhooks.server import build_config_warnings
from goldenthread.webhooks.status import render_status_page
from tests.webhooks.helpers import SECRET, T0, FakeClock, signed, updated_payload

TOKENS = ("jira-TOKEN-s3cr3t-value", "conf-TOKEN-s3cr3t-value", SECRET)


def fill(store, clock) -> None:  # type: ignore[no-untyped-def]
    run = store.start_run("incremental", T0 - timedelta(minutes=10))
    store.finish_run(run, "ok", T0 - timedelta(minutes=9), {"issues": 42, "removed": 1})
    bad = store.start_run("incremental", T0 - timedelta(minutes=5))
    store.finish_run(bad, "failed", T0 - timedelta(minutes=5), {}, error="Jira answered 503 at https://example.atlassian.net")
    store.save_published("roadmap", title="Roadmap <script>alert(1)</script>", space="IPM", page_id="123", version=7,
                         url="https://example.atlassian.net/wiki/spaces/IPM/pages/123", published_at=T0 - timedelta(hours=1))
    store.save_published("whats_new", title="What's new", space="IPM", url="javascript:alert(1)", published_at=T0 - timedelta(hours=2))
    save_pages_dirty(store, ["roadmap"], T0 - timedelta(seconds=20))
    for i in range(3):
        save_event(store, dedupe_key=f"k{i}", event="jira:issue_updated", issue_key=f"IPM-{i}", payload="{}",
                   received_at=T0 - timedelta(seconds=90 - i))


@pytest.fixture
def deps(store, tmp_path):  # type: ignore[no-untyped-def]
    settings = Settings(jira_url="https://example.atlassian.net", jira_token=SecretStr(TOKENS[0]),
                        confluence_token=SecretStr(TOKENS[1]), goldenthread_webhook_secret=SecretStr(SECRET))
    ctx = AppContext(settings=settings, config=Config(), database_url=str(store.engine.url))
    clock = FakeClock()
    warnings = build_config_warnings(ctx, insecure=False, dialect=store.dialect)
    fill(store, clock)
    return AppDeps(store=store, clock=clock, secret=SECRET, metrics=Metrics(store, clock), warnings=lambda: warnings)


def test_status_page_shows_syncs_inbox_pages_warnings(deps) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(deps)) as c:
        html = c.get("/").text
    assert "Roadmap &lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert 'href="https://example.atlassian.net/wiki/spaces/IPM/pages/123"' in html
    assert "javascript:" not in html  # a non-http url is shown as text, never as a link
    assert 'id="inbox-depth"><b>3</b>' in html
    assert 'id="inbox-lag"><b>90 s</b>' in html  # oldest pending received 90 s before the clock
    assert "issues: 42, removed: 1" in html and "Jira answered 503" in html
    assert "CONFLUENCE_URL is not set" in html
    assert "dirty since 2026-11-02 08:59:40 UTC" in html


def test_no_secret_in_any_response(deps) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps(updated_payload()).encode()
    with TestClient(create_app(deps)) as c:
        responses = [
            c.get("/"), c.get("/healthz"), c.get("/readyz"), c.get("/metrics"), c.get("/openapi.json"), c.get("/docs"),
            c.post("/webhooks/jira", content=body, headers=signed(body)),
            c.post("/webhooks/jira", content=body, headers={"X-Hub-Signature": "sha256=00"}),
            c.post("/webhooks/jira", content=b"{", headers=signed(b"{")),
            c.post("/webhooks/jira", content=b"x" * (1024 * 1024 + 1)),
        ]
    assert [r.status_code for r in responses][-4:] == [202, 401, 400, 413]
    for r in responses:
        blob = r.text + json.dumps(dict(r.headers))
        for secret in TOKENS:
            assert secret not in blob, r.url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(deps) -> Iterator[str]:  # type: ignore[no-untyped-def]
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(deps), host="127.0.0.1", port=port, log_config=None))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    while not server.started:  # condition wait: uvicorn flips this once it listens
        t.join(0.05)
        assert t.is_alive()
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    t.join(10)


@pytest.mark.browser
def test_status_page_in_headless_chromium(live_server, tmp_path, store) -> None:  # type: ignore[no-untyped-def]
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.common.by import By

    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("Debian chromium + chromium-driver not installed")
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")  # type: ignore[assignment]
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1100"):
        opts.add_argument(arg)
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=opts, service=service)
    try:
        driver.get(live_server + "/")
        assert driver.title == "goldenthread status"
        assert driver.find_element(By.ID, "inbox-depth").text.startswith("3")
        link = driver.find_element(By.LINK_TEXT, "Roadmap <script>alert(1)</script>")
        assert link.get_attribute("href") == "https://example.atlassian.net/wiki/spaces/IPM/pages/123"
        headings = [h.text for h in driver.find_elements(By.TAG_NAME, "h2")]
        assert headings == ["Webhook inbox", "Failed events", "Last syncs", "Scheduled jobs", "Pages", "Configuration warnings"]
        shot = tmp_path / "status.png"
        driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
        keep = Path("/tmp/goldenthread-status.png")
        keep.write_bytes(shot.read_bytes())  # for a human to look at
    finally:
        driver.quit()


def _status_with_errors(error: str) -> dict:  # type: ignore[type-arg]
    return {
        "now": T0,
        "inbox": {"counts": {"failed": 1}, "depth": 0, "duplicates": 0, "lag_seconds": 0.0},
        "runs": [{"kind": "incremental", "started_at": T0, "finished_at": T0, "status": "failed", "stats": {},
                  "error": error}],
        "jobs": [{"job": "sync", "slot": T0, "replica": "r1", "status": "failed", "error": error}],
        "failed": [{"id": 1, "event": "jira:issue_updated", "issue_key": "HRP-1", "received_at": T0,
                    "attempts": 5, "error": error}],
        "pages": [],
    }


def test_long_errors_are_cut_before_escaping_so_no_entity_is_cut_in_half() -> None:
    # the 300-character cut falls right after "&<": escaping first (the old order) left "&a"
    error = "x" * 298 + '&<>"' + " and the rest"
    html = render_status_page(_status_with_errors(error), [])
    cells = re.findall(r"<td>(x+[^<]*)</td>", html)
    assert cells == ["x" * 298 + "&amp;&lt;"] * 3  # failed event, sync run, scheduled job
    assert "and the rest" not in html and "&gt;" not in html


def test_every_value_is_escaped_once_by_the_template() -> None:
    html = render_status_page(_status_with_errors('<b>"Q&A"</b>'), ['<script>alert("w")</script>'])
    assert "&lt;b&gt;&#34;Q&amp;A&#34;&lt;/b&gt;" in html and "&amp;amp;" not in html
    assert "<li>&lt;script&gt;alert(&#34;w&#34;)&lt;/script&gt;</li>" in html and "<script>" not in html
