"""`/docs` works on a server without internet: Swagger UI's files are served by `serve` itself."""

from __future__ import annotations

import re
import shutil
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from goldenthread.sync.store import Store
from goldenthread.webhooks.app import AppDeps, create_app
from goldenthread.webhooks.observability import Metrics

NOW = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def deps(tmp_path: Path) -> Iterator[AppDeps]:
    store = Store.open(f"sqlite:///{tmp_path / 'gt.db'}")
    yield AppDeps(store=store, clock=lambda: NOW, secret="s", metrics=Metrics(store, lambda: NOW))
    store.close()


def test_docs_load_nothing_from_another_host(deps: AppDeps) -> None:
    with TestClient(create_app(deps)) as c:
        page = c.get("/docs")
        assert page.status_code == 200
        refs = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]|url: ['"]([^'"]+)['"]""", page.text)
        urls = [u for pair in refs for u in pair if u]
        assert urls and all(not re.match(r"(https?:)?//", u) or u.startswith("http://testserver/") for u in urls), urls
        assert "cdn" not in page.text.lower()
        script = c.get("/docs/swagger-ui-bundle.js")
        assert script.status_code == 200 and "SwaggerUIBundle" in script.text
        assert script.headers["content-type"].startswith("application/javascript")
        css = c.get("/docs/swagger-ui.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert c.get("/redoc").status_code == 404  # FastAPI's CDN-only ReDoc is off
        schema = c.get("/openapi.json").json()
        assert not any(p.startswith("/docs") for p in schema["paths"])  # the assets are not API


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.browser
def test_swagger_ui_renders_with_every_other_host_unreachable(deps: AppDeps, tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    assert shutil.which("chromium") and shutil.which("chromedriver"), "Debian chromium + chromium-driver"
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(deps), host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
        assert thread.is_alive()
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")  # type: ignore[assignment]
    # no internet: every host name but the loopback address fails to resolve
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1400",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=shutil.which("chromedriver")))
    try:
        driver.get(f"http://127.0.0.1:{port}/docs")
        WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
        paths = {e.text.replace("\u200b", "") for e in driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
        assert {"/healthz", "/readyz", "/metrics", "/webhooks/jira"} <= paths
        shot = tmp_path / "docs.png"
        driver.save_screenshot(str(shot))
        Path("/tmp/goldenthread-docs.png").write_bytes(shot.read_bytes())  # for a human to look at
    finally:
        driver.quit()
        server.should_exit = True
        thread.join(10)
