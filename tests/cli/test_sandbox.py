"""`goldenthread sandbox`: serves in the foreground, says how to use it, stops on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from io import StringIO

import httpx
import pytest
from rich.console import Console

from goldenthread.cli.sandbox import render_exports, run_sandbox
from goldenthread.sync.errors import BadUsage


def test_the_sandbox_command_prints_the_env_serves_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "goldenthread", "sandbox", "--port", "0", "--issues", "20"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "COLUMNS": "200"})
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        for line in proc.stdout:  # blocks until the sandbox has printed its banner
            seen.append(line)
            if "Ctrl-C stops the sandbox" in line:
                break
        text = "".join(seen)
        exports = dict(re.findall(r"\b([A-Z_]+)=(\S*)", text))
        assert exports["JIRA_URL"].startswith("http://127.0.0.1:") and exports["JIRA_TOKEN"] == "sandbox-token"
        assert exports["CONFLUENCE_URL"] == exports["JIRA_URL"] + "/wiki"
        info = httpx.get(exports["JIRA_URL"] + "/rest/api/2/serverInfo",
                         auth=(exports["JIRA_USER"], exports["JIRA_TOKEN"]), timeout=10)
        assert info.status_code == 200 and info.json()["deploymentType"] == "Cloud"
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, rest
    assert "sandbox stopped" in rest


def test_data_center_exports_a_bearer_token_without_a_user() -> None:
    jira, confluence = render_exports("http://h:1", "http://h:1/confluence", "demo@example.com", "t", "datacenter")
    assert jira == "export JIRA_URL=http://h:1 JIRA_USER= JIRA_TOKEN=t"
    assert confluence == "export CONFLUENCE_URL=http://h:1/confluence CONFLUENCE_USER= CONFLUENCE_TOKEN=t"


def test_a_busy_port_is_bad_usage_naming_the_option() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        stop = threading.Event()
        stop.set()
        with pytest.raises(BadUsage, match=f"port {port} on 127.0.0.1 is in use .*--port"):
            run_sandbox(Console(file=StringIO()), port=port, issues=5, seed=1, mode="cloud", stop=stop)
