"""`goldenthread demo` end to end: sandbox Jira -> sync -> store -> metrics -> pages -> sandbox
Confluence, plus the HTML preview. Expectations come from the sandbox dataset, not the code under test."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from goldenthread.cli.demo import run_demo
from goldenthread.sandbox import build_dataset
from goldenthread.sandbox.catalogue import BACKLOG_LABEL, STAKEHOLDER_MANAGERS
from goldenthread.cli.app import app

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STAKEHOLDERS_FIELD = "customfield_10108"

pytestmark = pytest.mark.slow


def test_demo_publishes_every_page_and_writes_matching_previews(tmp_path: Path) -> None:
    result = run_demo(out_dir=tmp_path, issues=80, seed=11, console=Console(file=open("/dev/null", "w")), now=NOW)

    data = build_dataset(seed=11, issues=80, now=NOW)
    backlog = [i for i in data.issues if BACKLOG_LABEL in i.labels]
    done_keys = {i.key for i in backlog if i.status in ("Done", "Released")}

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["backlog"]["total"] == len(backlog)
    assert metrics["backlog"]["done"] == len(done_keys)
    ranked = {r["key"] for r in metrics["ranking"]}
    assert not ranked & done_keys  # shipped work is never ranked
    assert ranked <= {i.key for i in backlog}

    # Confluence now holds the three pages under the configured parent, with our property
    pages = {p.title: p for p in result.state.confluence.pages.values()}
    for title in ("Roadmap", "What's new", "Stakeholder report 2026-10"):
        assert title in pages, sorted(pages)
        assert "goldenthread" in pages[title].properties
    parent = pages["Internal products"]
    assert pages["Roadmap"].parent_id == parent.id

    # stakeholders were written back to Jira: every backlog Payroll issue now lists Dana
    dana = STAKEHOLDER_MANAGERS[0]
    payroll = [result.state.data.by_key[i.key] for i in backlog if "Payroll" in i.components]
    assert payroll, "the dataset should have Payroll work"
    for issue in payroll:
        people = issue.custom.get(STAKEHOLDERS_FIELD) or []
        assert dana.account_id in people or dana.username in people, issue.key

    # the preview: an index linking one readable file per page, no markup leaking from Jira text
    index = result.index.read_text()
    linked = re.findall(r'href="([^"]+\.html)"', index)
    assert {"roadmap.html", "whats-new.html", "goals.html", "monthly-2026-10.html", "minutes-2026-10.html",
            "minutes-2026-09.html"} <= set(linked)
    for name in linked:
        html = (tmp_path / name).read_text()
        assert "<ac:" not in html and "<script>alert" not in html
        # a newcomer's first look: no test corpus (that is `--hostile`)
        assert "{html}" not in html and "]]&gt;" not in html and "CDATA" not in html, name

    # the review loop: September's minutes, filled in by people, carry two open actions into
    # October's report and October's minutes (created once, under the report)
    report, minutes = pages["Stakeholder report 2026-10"], pages["Stakeholder meeting 2026-10: minutes"]
    assert minutes.parent_id == report.id and len(minutes.history) == 1
    assert "<strong>2 open</strong>, 1 closed" in report.body
    for body in (report.body, minutes.body):
        assert "Send the payroll self-service survey to every line manager" in body
        assert "Book the room" not in body  # done: counted, not carried
    assert len(pages["Stakeholder meeting 2026-09: minutes"].history) == 2  # created, then written by people


def test_demo_command_runs_twice_in_the_same_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "demo"
    for _ in range(2):
        result = runner.invoke(app, ["demo", "--out", str(out), "--issues", "40", "--seed", "3", "--hostile"])
        assert result.exit_code == 0, result.output
        assert "index.html" in result.output
    assert (out / "index.html").exists() and (out / "goldenthread.yaml").exists()
    # --hostile: the escaping corpus is on the pages, as text
    previews = "".join(p.read_text() for p in out.glob("*.html"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in previews and "<script>alert" not in previews


def test_demo_says_where_its_store_is_and_prints_no_python_reprs(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--issues", "30", "--seed", "3"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "{'" not in text and "['" not in text and "!r" not in text  # no dict or list reprs
    db = (out / "demo.db").resolve()
    assert f"GOLDENTHREAD_DATABASE_URL=sqlite:///{db}" in text and "goldenthread metrics" in text
    assert f"sqlite3 {db}" in text and "goldenthread sandbox" in text
    # printed to a pipe (80 columns), a command to copy and a page's URL stay on one line each
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert f"GOLDENTHREAD_DATABASE_URL=sqlite:///{db} GOLDENTHREAD_CONFIG={(out / 'goldenthread.yaml').resolve()} goldenthread metrics" in lines
    assert re.search(r"^Stakeholder meeting \d{4}-\d{2}: minutes: created http://127\.0\.0\.1:\d+/\S+:\+minutes$",
                     result.stdout, re.MULTILINE), result.stdout
    assert re.search(r"sync: \d+ issues and \d+ status changes read from Jira \(cloud\)", text)


def test_demo_on_a_terminal_draws_its_progress_bars_and_logs_through_rich(tmp_path: Path) -> None:
    # Everything else here runs in a pipe; a terminal takes other paths (rich's logging handler,
    # progress bars drawn by rich's Live on the CLI's console), so run the real command on a
    # pseudo-terminal and read what a person would see.
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "goldenthread", "demo", "--out", str(tmp_path / "demo"), "--issues", "20"],
        stdin=follower, stdout=follower, stderr=follower, env={**env, "COLUMNS": "100", "TERM": "xterm"},
        close_fds=True,
    )  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=120) == 0, b"".join(chunks).decode(errors="replace")[-2000:]
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode(errors="replace"))
    assert "Syncing Jira (full)" in screen and "━" in screen  # a bar, drawn
    assert re.search(r"\d\d:\d\d:\d\d INFO +goldenthread", screen)  # rich's log lines, not plain ones
    assert "error" not in screen.lower() and "Traceback" not in screen
