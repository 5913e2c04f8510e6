"""`serve` binds its port before anything else starts: a busy port is one plain line, exit 2,
and no migration, worker or scheduled sync has run."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from goldenthread.mappings.config import Config
from goldenthread.sync.context import AppContext
from goldenthread.sync.errors import BadUsage
from goldenthread.sync.settings import Settings
from goldenthread.webhooks.processing import EventHandlers
from goldenthread.webhooks.scheduler import Job
from goldenthread.webhooks.server import open_listener, run_serve


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as other:  # another program holds the port
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        yield int(other.getsockname()[1])


def test_a_busy_port_is_bad_usage_naming_the_port(busy_port: int) -> None:
    with pytest.raises(BadUsage) as info:
        open_listener("127.0.0.1", busy_port)
    assert info.value.exit_code == 2 and str(info.value).startswith(f"port {busy_port} is in use on 127.0.0.1")


def test_nothing_starts_when_the_port_is_busy(busy_port: int, tmp_path: Path) -> None:
    """Before, serve opened and migrated the store, started the worker and the scheduler, ran a
    full sync (238 Jira writes) and only then failed on the port (exit 3, reason in a JSON log)."""
    ran: list[datetime] = []

    def never(_key: str) -> None:
        raise AssertionError("the worker must not run")

    ctx = AppContext(settings=Settings(), config=Config(), database_url=f"sqlite:///{tmp_path / 'gt.db'}")
    jobs = {"sync": Job("* * * * *", lambda slot: ran.append(slot) or None)}
    with pytest.raises(BadUsage, match=f"port {busy_port} is in use"):
        run_serve(ctx, port=busy_port, insecure_no_signature=True, jobs=jobs, json_logs=False,
                  handlers=EventHandlers(parse_snapshot=never, fetch_snapshot=never))  # type: ignore[arg-type]
    assert ran == [] and "store" not in ctx.__dict__ and not (tmp_path / "gt.db").exists()


def test_the_port_is_free_again_after_a_refusal(busy_port: int) -> None:
    with pytest.raises(BadUsage):
        open_listener("127.0.0.1", busy_port)
    free = open_listener("127.0.0.1", 0)  # the refused attempt left nothing bound
    assert free.getsockname()[0] == "127.0.0.1"
    free.close()


def test_serve_command_on_a_busy_port_says_so_and_exits_2(busy_port: int, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from goldenthread.cli.app import app

    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    result = CliRunner().invoke(app, ["serve", "--port", str(busy_port), "--insecure-no-signature"])
    assert result.exit_code == 2, result.output
    assert f"port {busy_port} is in use" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "goldenthread.db").exists()  # the store was never opened


@pytest.mark.parametrize("host,why", [("203.0.113.7", "not an address of this machine"),
                                      ("no-such-host.invalid", "not an address this machine can listen on")])
def test_a_host_that_is_not_ours_is_bad_usage(host: str, why: str) -> None:
    with pytest.raises(BadUsage, match=why):
        open_listener(host, 0)
