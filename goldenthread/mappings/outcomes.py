"""KPI readings and satisfaction-survey answers: records and their CSV / JSON parsers (pure).

A source is read whole; every row is checked on its own. A bad row (a date that is not a date,
text where a number belongs, a KPI nobody configured, a score outside 0-10) becomes a
`SourceProblem` naming the file and the line, and is skipped: every good row is kept. A file
that cannot be read at all (not CSV with the expected header, not a JSON list) yields no rows
and one problem, so the caller keeps what it stored before.

Formats (docs/configuration.md "Reading KPI readings and survey answers"):
- readings: CSV with a header `kpi,date,value` (any order, extra columns ignored), or JSON
  `[{"kpi": ..., "date": ..., "value": ...}]`;
- answers: CSV `date,score,objective[,comment]` or JSON with those keys.
Dates are ISO 8601 (`2026-03-31`, or a date-time whose UTC day is taken).
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeVar

import yaml

SourceFormat = Literal["csv", "json"]
READING_COLUMNS: tuple[str, ...] = ("kpi", "date", "value")
ANSWER_COLUMNS: tuple[str, ...] = ("date", "score", "objective")
ANSWER_OPTIONAL: tuple[str, ...] = ("comment",)


@dataclass(frozen=True, slots=True)
class KpiReading:
    """One measurement of a KPI on a day. (kpi, date) is unique in the store."""

    kpi: str
    date: date
    value: float
    source: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    """One survey answer (0-10) about an objective. `answer_id` identifies the row in the store."""

    answer_id: str
    date: date
    score: int
    objective: str
    comment: str = ""
    source: str = ""
    line: int = 0


ProblemKind = Literal["file", "row", "unknown_kpi", "unknown_objective"]


@dataclass(frozen=True, slots=True)
class SourceProblem:
    source: str
    line: int | None
    message: str
    kind: ProblemKind = "row"  # unknown_*: a name the config does not know (check: "did you mean")

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Parsed:
    """Good rows and the problems of the rest (`rows` empty when the whole file was unreadable)."""

    rows: tuple[Any, ...]
    problems: tuple[SourceProblem, ...]
    unreadable: bool = False


class _BadRow(ValueError):
    def __init__(self, message: str, kind: ProblemKind = "row") -> None:
        super().__init__(message)
        self.kind = kind


def parse_day(value: object) -> date:
    """An ISO date (or date-time, taken as its UTC day) -> date; _BadRow otherwise."""
    text = str(value if value is not None else "").strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _BadRow(f"date {text!r} is not an ISO date (YYYY-MM-DD)") from None
    return (stamp if stamp.tzinfo is None else stamp.astimezone(UTC)).date()


def _number(value: object, column: str) -> float:
    if isinstance(value, bool):
        raise _BadRow(f"{column} {value!r} is not a number")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value if value is not None else "").strip()
        try:
            number = float(text)
        except ValueError:
            raise _BadRow(f"{column} {text!r} is not a number") from None
    if not math.isfinite(number):
        raise _BadRow(f"{column} {value!r} is not a finite number")
    return number


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def build_kpi_lookup(names: Iterable[str]) -> dict[str, str]:
    """Casefolded KPI name -> the configured spelling (readings match names case-insensitively)."""
    out: dict[str, str] = {}
    for name in names:
        out.setdefault(name.casefold(), name)
    return out


def _did_you_mean(value: str, known: Iterable[str]) -> str:
    choices = list(known)
    hit = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    if not hit:
        folded = {c.casefold(): c for c in choices}
        hit = [folded[h] for h in difflib.get_close_matches(value.casefold(), list(folded), n=1, cutoff=0.6)]
    return f"; did you mean {hit[0]!r}?" if hit else ""


def _reading(row: Mapping[str, Any], kpis: Mapping[str, str], source: str, line: int) -> KpiReading:
    name = _text(row.get("kpi"))
    if not name:
        raise _BadRow("kpi is empty")
    known = kpis.get(name.casefold())
    if known is None:
        hint = _did_you_mean(name, kpis.values())
        raise _BadRow(f"no KPI named {name!r} is configured under goals{hint}", "unknown_kpi")
    return KpiReading(known, parse_day(row.get("date")), _number(row.get("value"), "value"), source, line)


def _answer(row: Mapping[str, Any], source: str, line: int) -> SurveyAnswer:
    day = parse_day(row.get("date"))
    score = _number(row.get("score"), "score")
    if score != int(score) or not 0 <= score <= 10:
        raise _BadRow(f"score {row.get('score')!r} is not a whole number from 0 to 10")
    objective = _text(row.get("objective"))
    if not objective:
        raise _BadRow("objective is empty")
    return SurveyAnswer("", day, int(score), objective, _text(row.get("comment")), source, line)


T = TypeVar("T")


def _rows_of_csv(text: str, source: str, required: tuple[str, ...]) -> tuple[list[tuple[int, dict[str, str]]], SourceProblem | None]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip().casefold() for cell in record]
                missing = [c for c in required if c not in header]
                if missing:
                    return [], SourceProblem(source, reader.line_num, (
                        f"CSV header {','.join(record)!r} lacks {', '.join(missing)}; "
                        f"expected {','.join(required)}"), "file")
                continue
            rows.append((reader.line_num, dict(zip(header, record, strict=False))))
    except csv.Error as exc:
        return [], SourceProblem(source, reader.line_num, f"not valid CSV: {exc}", "file")
    if header is None:
        return [], SourceProblem(source, None, f"empty file; expected a CSV header {','.join(required)}", "file")
    return rows, None


def _json_lines(text: str, count: int) -> list[int | None]:
    """1-based line where each item of a top-level JSON list starts (JSON is YAML, whose
    nodes carry their position). Only called when some item is bad."""
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        return [None] * count
    if not isinstance(root, yaml.SequenceNode):
        return [None] * count
    return [node.start_mark.line + 1 for node in root.value][:count] + [None] * max(0, count - len(root.value))


def _rows_of_json(text: str, source: str) -> tuple[list[tuple[int | None, Any]], SourceProblem | None]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], SourceProblem(source, exc.lineno, f"not valid JSON: {exc.msg}", "file")
    if not isinstance(data, list):
        return [], SourceProblem(source, 1, "expected a JSON list of objects", "file")
    return [(None, item) for item in data], None


def _parse(
    text: str, source: str, fmt: SourceFormat, required: tuple[str, ...],
    build: Callable[[Mapping[str, Any], int], T],
) -> Parsed:
    if fmt == "csv":
        csv_rows, problem = _rows_of_csv(text, source, required)
        rows: list[tuple[int | None, Any]] = list(csv_rows)
    else:
        rows, problem = _rows_of_json(text, source)
    if problem is not None:
        return Parsed((), (problem,), unreadable=True)
    good: list[T] = []
    bad: list[tuple[int, _BadRow]] = []
    for i, (line, row) in enumerate(rows):
        try:
            if not isinstance(row, Mapping):
                raise _BadRow("expected an object with " + ", ".join(required))
            good.append(build(row, line or 0))
        except _BadRow as exc:
            bad.append((i, exc))
    lines: list[int | None] = [line for line, _ in rows]
    if fmt == "json" and bad:
        lines = _json_lines(text, len(rows))
    problems = tuple(SourceProblem(source, lines[i], str(exc), exc.kind) for i, exc in bad)
    return Parsed(tuple(good), problems)


def parse_readings(text: str, source: str, fmt: SourceFormat, kpi_names: Iterable[str]) -> Parsed:
    """KPI readings of one source. Readings for a KPI no goal configures are bad rows (with a
    "did you mean"); of two readings of one KPI on one day, the later row wins."""
    kpis = build_kpi_lookup(kpi_names)
    parsed = _parse(text, source, fmt, READING_COLUMNS, lambda row, line: _reading(row, kpis, source, line))
    latest = {(r.kpi, r.date): r for r in parsed.rows}
    return Parsed(tuple(latest.values()), parsed.problems, parsed.unreadable)


def parse_answers(text: str, source: str, fmt: SourceFormat) -> Parsed:
    """Survey answers of one source, each with an `answer_id` that stays the same while the row
    does (see `build_answer_ids`)."""
    parsed = _parse(text, source, fmt, ANSWER_COLUMNS, lambda row, line: _answer(row, source, line))
    return Parsed(tuple(build_answer_ids(parsed.rows)), parsed.problems, parsed.unreadable)


def build_answer_ids(answers: Iterable[SurveyAnswer]) -> Iterator[SurveyAnswer]:
    """Give each answer an id from its source and content plus its occurrence among identical
    rows, so re-reading a file upserts the same rows even when lines move (a row inserted above
    shifts every line number), and two people giving the same answer on the same day stay two."""
    seen: dict[str, int] = {}
    for a in answers:
        digest = hashlib.sha256("\x1f".join(
            (a.source, a.date.isoformat(), str(a.score), a.objective, a.comment)).encode()).hexdigest()[:32]
        n = seen.get(digest, 0)
        seen[digest] = n + 1
        yield SurveyAnswer(f"{digest}-{n}", a.date, a.score, a.objective, a.comment, a.source, a.line)


def build_unknown_objective_problems(
    answers: Iterable[SurveyAnswer], objectives: Iterable[str], source: str
) -> list[SourceProblem]:
    """One warning per objective named by answers but by no goal (they are kept; their NPS is
    listed under no goal)."""
    known = {o.casefold(): o for o in objectives}
    first: dict[str, int] = {}
    for a in answers:
        if a.objective.casefold() not in known:
            first.setdefault(a.objective, a.line)
    return [SourceProblem(source, line or None, f"objective {name!r} is named by no goal"
                          f"{_did_you_mean(name, known.values())}", "unknown_objective")
            for name, line in first.items()]
