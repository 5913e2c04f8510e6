"""Records: the issue key rule applied to untrusted webhook keys."""

from __future__ import annotations

import pytest

from goldenthread.mappings.records import is_issue_key


@pytest.mark.parametrize("key", ["IPM-1", "IPM-12345", "A-0", "HR_2-7", "X9-42"])
def test_jira_issue_keys_pass(key: str) -> None:
    assert is_issue_key(key)


@pytest.mark.parametrize("key", [
    "IPM-1/../../myself", "IPM-1?expand=changelog&x=", "IPM-1#frag", "IPM-1\n", "\nIPM-1", "ipm-1", "1PM-1",
    "_PM-1", "IPM-", "-1", "IPM1", "IPM-1-2", "IPM-\u0661", "IPM-1 ", "", "IPM-%31", None, 17,
])
def test_anything_else_fails(key: object) -> None:
    assert not is_issue_key(key)
