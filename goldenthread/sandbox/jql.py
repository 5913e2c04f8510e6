"""A small, honest JQL subset for the sandbox: what goldenthread sends, nothing more.

Supported: `labels`, `project`, `status`, `key`/`issuekey`/`id` with `=`, `!=`, `in`, `not in`;
`key`/`issuekey`/`id` also with `>`, `>=`, `<`, `<=` against an issue id or key (compared by id);
`updated`/`created` with `=`, `!=`, `>`, `>=`, `<`, `<=` against "yyyy-MM-dd[ HH:mm]" (the
query names a minute, like Jira's) or a relative period ("-15m", "-2d"); `AND`, `OR`, `NOT`, parentheses;
`ORDER BY updated|created|key|id [ASC|DESC], ...`. Anything else is a 400 worded like Jira's.

Tests: tests/sandbox/test_jira.py
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from goldenthread.sandbox.model import SandboxData, SandboxIssue

Predicate = Callable[[SandboxIssue], bool]

_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>!=|>=|<=|~|=|>|<)|(?P<punct>[(),])|(?P<word>[^\s"'(),=!<>~]+))"""
)
_KNOWN_UNSUPPORTED = {"assignee", "reporter", "summary", "description", "component", "issuetype", "type",
                      "priority", "resolution", "resolved", "resolutiondate", "text", "sprint", "fixversion"}
_DATE_FIELDS = {"updated": "updated", "updateddate": "updated", "created": "created", "createddate": "created"}
_LIST_FIELDS = {"labels", "project", "status", "key", "issuekey", "id"}
_ID_FIELDS = {"key", "issuekey", "id"}
_RESERVED = {"and", "or", "not", "order", "by", "in", "is", "empty", "null"}
_DATE_HELP = ("Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
              "or a period format e.g. '-5d', '4w 2d'.")


class JqlError(ValueError):
    """An invalid query; `str(err)` is the message Jira would put in `errorMessages`."""


@dataclass(frozen=True)
class JqlQuery:
    where: Predicate | None
    order: tuple[tuple[str, bool], ...]  # (field, descending)

    def run(self, issues: list[SandboxIssue]) -> list[SandboxIssue]:
        hits = [i for i in issues if self.where is None or self.where(i)]
        for fld, desc in reversed(self.order or (("id", True),)):
            hits.sort(key=_SORT_KEYS[fld], reverse=desc)
        return hits


def _key_sort(i: SandboxIssue) -> tuple[str, int]:
    p, _, n = i.key.partition("-")
    return (p, int(n))


_SORT_KEYS: dict[str, Callable[[SandboxIssue], Any]] = {
    "updated": lambda i: i.updated,
    "created": lambda i: i.created,
    "key": _key_sort,
    "id": lambda i: i.id,
}


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise JqlError(f"Error in the JQL Query: The character '{text[pos:].lstrip()[:1]}' is a reserved JQL "
                           f"character. You must enclose it in a string or use the escape '\\u0022' instead. "
                           f"(line 1, character {pos + 1})")
        kind = m.lastgroup or "word"
        val = m.group(kind)
        if kind == "str":
            val = re.sub(r"\\(.)", r"\1", val[1:-1])
        out.append((kind, val, m.start(kind) + 1))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str, data: SandboxData, now: datetime) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.data = data
        self.now = now

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def word(self, *names: str) -> bool:
        t = self.peek()
        if t and t[0] == "word" and t[1].lower() in names:
            self.i += 1
            return True
        return False

    def fail(self, expected: str) -> JqlError:
        t = self.peek()
        if t is None:
            return JqlError(f"Error in the JQL Query: Expecting {expected} but got the end of the query.")
        return JqlError(f"Error in the JQL Query: Expecting {expected} but got '{t[1]}'. (line 1, character {t[2]})")

    def parse(self) -> JqlQuery:
        where = None
        t = self.peek()
        if t and not (t[0] == "word" and t[1].lower() == "order"):
            where = self.or_expr()
        order: list[tuple[str, bool]] = []
        if self.word("order"):
            if not self.word("by"):
                raise self.fail("'by'")
            while True:
                t = self.peek()
                if not t or t[0] not in ("word", "str"):
                    raise self.fail("a field name")
                self.i += 1
                fld = t[1].lower()
                fld = {"issuekey": "key", "updateddate": "updated", "createddate": "created"}.get(fld, fld)
                if fld not in _SORT_KEYS:
                    raise JqlError(self._unknown_field(t[1]))
                desc = self.word("desc")
                if not desc:
                    self.word("asc")
                order.append((fld, desc))
                if not self.punct(","):
                    break
        if self.peek() is not None:
            raise self.fail("either 'OR' or 'AND'" if where is not None else "a field name")
        return JqlQuery(where, tuple(order))

    def punct(self, p: str) -> bool:
        t = self.peek()
        if t and t[0] == "punct" and t[1] == p:
            self.i += 1
            return True
        return False

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.word("or"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda i: any(p(i) for p in parts))

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while self.word("and"):
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else (lambda i: all(p(i) for p in parts))

    def not_expr(self) -> Predicate:
        if self.word("not"):
            inner = self.not_expr()
            return lambda i: not inner(i)
        if self.punct("("):
            inner = self.or_expr()
            if not self.punct(")"):
                raise self.fail("')'")
            return inner
        return self.clause()

    def _unknown_field(self, name: str) -> str:
        if name.lower() in _KNOWN_UNSUPPORTED or self.data.field_by_name(name):
            return f"Error in the JQL Query: the sandbox does not support searching by '{name}'."
        return f"Field '{name}' does not exist or you do not have permission to view it."

    def clause(self) -> Predicate:
        t = self.peek()
        if not t or t[0] not in ("word", "str") or (t[0] == "word" and t[1].lower() in _RESERVED):
            raise self.fail("a field name")
        self.i += 1
        name = t[1].lower()
        if name not in _LIST_FIELDS and name not in _DATE_FIELDS:
            raise JqlError(self._unknown_field(t[1]))
        op_tok = self.peek()
        if op_tok and op_tok[0] == "op":
            self.i += 1
            op = op_tok[1]
        elif self.word("in"):
            op = "in"
        elif self.word("not"):
            if not self.word("in"):
                raise self.fail("'IN'")
            op = "not in"
        else:
            raise self.fail("operator")
        if name in _DATE_FIELDS:
            return self.date_clause(_DATE_FIELDS[name], op, t[1])
        if name in _ID_FIELDS and op in (">", ">=", "<", "<="):
            return self.id_range(op, self.value(), t[1])
        if op not in ("=", "!=", "in", "not in"):
            raise JqlError(f"Error in the JQL Query: The operator '{op}' is not supported by the '{t[1]}' field.")
        values = self.value_list() if op in ("in", "not in") else [self.value()]
        pred = self.list_pred(name, values)
        return pred if op in ("=", "in") else (lambda i: not pred(i))

    def value(self) -> str:
        t = self.peek()
        if not t or t[0] not in ("word", "str") or (t[0] == "word" and t[1].lower() in _RESERVED):
            raise self.fail("either a value, list or function")
        self.i += 1
        return t[1]

    def value_list(self) -> list[str]:
        if not self.punct("("):
            raise self.fail("'('")
        vals = [self.value()]
        while self.punct(","):
            vals.append(self.value())
        if not self.punct(")"):
            raise self.fail("')'")
        return vals

    def list_pred(self, name: str, values: list[str]) -> Predicate:
        if name == "labels":
            wanted = set(values)  # Jira labels match exactly (case-sensitive)
            return lambda i: not wanted.isdisjoint(i.labels)
        if name == "project":
            names = {v.lower(): k for k, v in self.data.projects.items()}
            keys = set()
            for v in values:
                k = v.upper() if v.upper() in self.data.projects else names.get(v.lower())
                if k is None:
                    raise JqlError(f"The value '{v}' does not exist for the field 'project'.")
                keys.add(k)
            return lambda i: i.project in keys
        if name == "status":
            known = {s.lower() for s in ("Backlog", "To Do", "In Progress", "In Review", "Done", "Released", "Won't Do")}
            for v in values:
                if v.lower() not in known:
                    raise JqlError(f"The value '{v}' does not exist for the field 'status'.")
            want = {v.lower() for v in values}
            return lambda i: i.status.lower() in want
        ids = {self.issue_id(v, name) for v in values}
        return lambda i: i.id in ids

    def issue_id(self, value: str, raw_name: str) -> int:
        """An issue named by id or key, as its id (Jira resolves keys to ids for these fields)."""
        if value.isdigit():
            return int(value)
        issue = self.data.by_key.get(value.upper())
        if issue is None:
            raise JqlError(f"An issue with key '{value}' does not exist for field '{raw_name}'.")
        return issue.id

    def id_range(self, op: str, raw: str, raw_name: str) -> Predicate:
        bound = self.issue_id(raw, raw_name)
        return {
            ">": lambda i: i.id > bound,
            ">=": lambda i: i.id >= bound,
            "<": lambda i: i.id < bound,
            "<=": lambda i: i.id <= bound,
        }[op]

    def date_clause(self, fld: str, op: str, raw_name: str) -> Predicate:
        if op not in ("=", "!=", ">", ">=", "<", "<="):
            raise JqlError(f"Error in the JQL Query: The operator '{op}' is not supported by the '{raw_name}' field.")
        raw = self.value()
        at = parse_jql_date(raw, self.now)
        if at is None:
            raise JqlError(f"Date value '{raw}' for field '{raw_name}' is invalid. {_DATE_HELP}")
        # The query can only name a minute; Jira compares the stored timestamp with that instant.
        get: Callable[[SandboxIssue], datetime] = (lambda i: i.updated) if fld == "updated" else (lambda i: i.created)
        return {
            "=": lambda i: get(i) == at,
            "!=": lambda i: get(i) != at,
            ">": lambda i: get(i) > at,
            ">=": lambda i: get(i) >= at,
            "<": lambda i: get(i) < at,
            "<=": lambda i: get(i) <= at,
        }[op]


_PERIOD = re.compile(r"^([-+]?)(\d+)([mhdw])$")


def parse_jql_date(raw: str, now: datetime) -> datetime | None:
    """Absolute dates are read in the API user's zone (UTC in the sandbox), floored to the minute."""
    s = raw.strip()
    m = _PERIOD.match(s)
    if m:
        n = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
        delta = {"m": timedelta(minutes=n), "h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}
        return (now + delta[m.group(3)]).replace(second=0, microsecond=0)
    for fmt in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(s, fmt).replace(tzinfo=now.tzinfo)
        except ValueError:
            continue
    return None


def parse_jql(text: str, data: SandboxData, now: datetime) -> JqlQuery:
    """Parse `text` against the sandbox's data; raises JqlError with Jira's wording."""
    return _Parser(text or "", data, now).parse()
