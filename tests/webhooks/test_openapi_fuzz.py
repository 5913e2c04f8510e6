"""schemathesis against the app's own OpenAPI: no input produces a 5xx (bounded examples)."""

from __future__ import annotations

import schemathesis
import pytest
from hypothesis import HealthCheck, given, settings

from goldenthread.sync.store import Store
from goldenthread.webhooks.app import AppDeps, create_app
from goldenthread.webhooks.observability import Metrics
from tests.webhooks.helpers import SECRET, FakeClock


@pytest.mark.parametrize("secret", [SECRET, None], ids=["signed", "insecure"])
def test_no_server_errors(tmp_path, secret) -> None:  # type: ignore[no-untyped-def]
    # driven by hand rather than through schemathesis' pytest plugin, which does not load on
    # this pytest version; the strategies and calls are schemathesis' own
    store = Store.open(f"sqlite:///{tmp_path / 'fuzz.db'}")
    clock = FakeClock()
    app = create_app(AppDeps(store=store, clock=clock, secret=secret, metrics=Metrics(store, clock)))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    seen: dict[str, set[int]] = {}
    try:
        for result in schema.get_all_operations():
            operation = result.ok()

            @given(case=operation.as_strategy())
            @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def check(case) -> None:  # type: ignore[no-untyped-def]
                response = case.call()
                seen.setdefault(f"{case.method} {case.path}", set()).add(response.status_code)
                assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:200])

            check()
    finally:
        store.close()
    assert {"POST /webhooks/jira", "GET /", "GET /healthz", "GET /readyz", "GET /metrics"} <= set(seen)
    if secret:
        assert 401 in seen["POST /webhooks/jira"]  # random bodies are unsigned
    else:  # without a signature check the fuzzer reaches parsing and the inbox
        assert 202 in seen["POST /webhooks/jira"]
