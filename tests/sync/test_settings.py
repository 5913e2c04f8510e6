"""Settings from the environment: what pydantic-settings did for goldenthread, kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from goldenthread.sync.settings import Settings


def test_reads_each_variable_by_its_documented_name_and_ignores_others(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_URL", "https://jira.example.com")
    monkeypatch.setenv("jira_user", "bot@example.com")  # names are case-insensitive
    monkeypatch.setenv("JIRA_TOKEN", "t0ken")
    monkeypatch.setenv("GOLDENTHREAD_CONFIG", "/etc/goldenthread/goldenthread.yaml")
    monkeypatch.setenv("GOLDENTHREAD_UNKNOWN", "ignored")
    s = Settings()
    assert (s.jira_url, s.jira_user) == ("https://jira.example.com", "bot@example.com")
    assert s.jira_token.get_secret_value() == "t0ken" and "t0ken" not in repr(s)
    assert s.goldenthread_config == Path("/etc/goldenthread/goldenthread.yaml")
    assert not hasattr(s, "goldenthread_unknown")


def test_values_passed_in_win_over_the_environment_and_defaults_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JIRA_URL", "CONFLUENCE_URL", "GOLDENTHREAD_DATABASE_URL", "GOLDENTHREAD_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JIRA_URL", "https://from-env.example.com")
    s = Settings(jira_url="https://passed.example.com", confluence_token=SecretStr("c"))
    assert s.jira_url == "https://passed.example.com"
    assert s.goldenthread_database_url == "sqlite:///goldenthread.db" and s.confluence_url == ""
    assert s.secrets() == ["c"]


def test_an_empty_variable_is_an_empty_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_USER", "")  # Data Center: user left empty, a personal access token
    assert Settings().jira_user == ""
