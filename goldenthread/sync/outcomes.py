"""Read `outcomes.measurements` (KPI readings) and `outcomes.surveys` (survey answers) into the
store, on every sync; and the same reads for `goldenthread check`.

A local path is read relative to the config file; an https URL through the project's transport
(tenacity retries, no credentials: these hosts never see an Atlassian token). Nothing is ever
lost by a bad file: a bad row is reported with its file and line and skipped while every good
row is kept, and a source that cannot be read at all is a warning that leaves the stored values
as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

from goldenthread.mappings.config import Config, ConfigProblem
from goldenthread.mappings.config_sections import SourceRef
from goldenthread.mappings.yaml_lines import LineMap, line_for
from goldenthread.mappings.outcomes import (
    Parsed,
    SourceProblem,
    build_unknown_objective_problems,
    parse_answers,
    parse_readings,
)
from goldenthread.sync.context import AppContext
from goldenthread.sync.http.session import build_plain_session
from goldenthread.sync.http.transport import RetryPolicy

log = logging.getLogger(__name__)

PROBLEMS_SHOWN = 20  # per source: a file of 10,000 bad rows should not bury the rest of a run's output
TIMEOUT_S = 30.0
# a source host that is down costs a sync ~3 s, not the 15 s of the Atlassian policy: the stored
# values stay and the next scheduled sync tries again
SYNC_RETRY = RetryPolicy(max_attempts=3, backoff_max=4.0)
CHECK_RETRY = RetryPolicy(max_attempts=1)


class SourceUnavailable(Exception):
    """The source could not be read at all (missing file, HTTP error, unreachable host)."""


def describe_source(ref: SourceRef) -> str:
    """How messages name a source: the path as configured, or the URL without its query (a
    pre-signed URL carries its credentials there)."""
    if not ref.is_url:
        return ref.path
    parts = urlsplit(ref.path)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def fetch_source_text(ref: SourceRef, base_dir: Path, session: requests.Session | None) -> str:
    """The text of one source; SourceUnavailable when it cannot be read."""
    if not ref.is_url:
        path = Path(ref.path).expanduser()
        path = path if path.is_absolute() else base_dir / path
        try:
            return path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise SourceUnavailable(f"cannot read {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise SourceUnavailable(f"cannot read {path}: not UTF-8 text") from None
    if session is None:
        raise SourceUnavailable("URL sources are not read here (offline)")
    try:
        response = session.get(ref.path, timeout=TIMEOUT_S)
    except requests.RequestException as exc:
        raise SourceUnavailable(f"unreachable ({type(exc).__name__}: {exc})") from None
    if response.status_code >= 400:
        raise SourceUnavailable(f"HTTP {response.status_code}")
    try:
        return response.content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceUnavailable("not UTF-8 text") from None


def configured_kpis(config: Config) -> list[str]:
    return [k.name for g in config.goals for o in g.objectives for k in o.kpis]


@dataclass
class SourceReport:
    """What reading one source found."""

    path: str  # config path, e.g. outcomes.measurements.0
    name: str
    parsed: Parsed | None = None  # None: unreadable
    error: str = ""


def read_sources(
    config: Config, base_dir: Path, session: requests.Session | None
) -> tuple[list[SourceReport], list[SourceReport]]:
    """(measurement reports, survey reports), one per configured source, in config order."""
    kpis = configured_kpis(config)

    def read(section: str, refs: Sequence[SourceRef], parse: Callable[[str, str, SourceRef], Parsed]) -> list[SourceReport]:
        out = []
        for i, ref in enumerate(refs):
            report = SourceReport(f"outcomes.{section}.{i}", describe_source(ref))
            try:
                report.parsed = parse(fetch_source_text(ref, base_dir, session), report.name, ref)
            except SourceUnavailable as exc:
                report.error = str(exc)
            out.append(report)
        return out

    return (
        read("measurements", config.outcomes.measurements,
             lambda text, name, ref: parse_readings(text, name, ref.kind, kpis)),
        read("surveys", config.outcomes.surveys, lambda text, name, ref: parse_answers(text, name, ref.kind)),
    )  # fmt: skip


def _shown(problems: Sequence[SourceProblem]) -> list[str]:
    lines = [f"{p.source}:{p.line or '?'}: row skipped: {p.message}" for p in problems[:PROBLEMS_SHOWN]]
    if len(problems) > PROBLEMS_SHOWN:
        lines.append(f"{problems[0].source}: … and {len(problems) - PROBLEMS_SHOWN} more bad rows skipped")
    return lines


@dataclass
class OutcomeSyncResult:
    readings: int = 0  # rows read and upserted
    answers: int = 0
    skipped: int = 0  # bad rows
    unreadable: int = 0  # sources that could not be read (their stored rows stay)
    warnings: list[str] = field(default_factory=list)


def sync_outcome_sources(ctx: AppContext, *, session: requests.Session | None = None) -> OutcomeSyncResult:
    """Read every configured source and upsert its good rows. Never raises for a bad source."""
    config = ctx.config
    result = OutcomeSyncResult()
    if not config.outcomes.measurements and not config.outcomes.surveys:
        return result
    owns = session is None and any(r.is_url for r in [*config.outcomes.measurements, *config.outcomes.surveys])
    if owns:
        session = build_plain_session(timeout=TIMEOUT_S, retry=SYNC_RETRY)
    try:
        measurements, surveys = read_sources(config, ctx.settings.goldenthread_config.parent, session)
    finally:
        if owns and session is not None:
            session.close()
    now = ctx.clock()
    for report in [*measurements, *surveys]:
        if report.parsed is None or report.parsed.unreadable:
            result.unreadable += 1
            why = report.error or "; ".join(str(p) for p in report.parsed.problems)  # type: ignore[union-attr]
            kept = "readings" if report.path.startswith("outcomes.measurements") else "answers"
            result.warnings.append(f"{report.path} ({report.name}): {why}; the stored {kept} stay as they were")
            continue
        parsed = report.parsed
        result.skipped += len(parsed.problems)
        result.warnings.extend(_shown(parsed.problems))
        if report in measurements:
            result.readings += ctx.store.save_kpi_readings(parsed.rows, now)
        else:
            result.answers += ctx.store.save_survey_answers(parsed.rows, now)
    for warning in result.warnings:
        log.warning("%s", warning)
    return result


def check_outcome_sources(
    config: Config, lines: LineMap, source: str, base_dir: Path, *, offline: bool
) -> list[ConfigProblem]:
    """`goldenthread check`: every source read (URLs only when online) and every row checked;
    problems are warnings (a sync skips those rows and keeps going) named by file and line."""
    if not config.outcomes.measurements and not config.outcomes.surveys:
        return []
    session = None if offline else build_plain_session(timeout=TIMEOUT_S, retry=CHECK_RETRY)
    try:
        measurements, surveys = read_sources(config, base_dir, session)
    finally:
        if session is not None:
            session.close()
    objectives = [o.name for g in config.goals for o in g.objectives]
    problems: list[ConfigProblem] = []
    for report in [*measurements, *surveys]:
        if report.parsed is None:
            if not (offline and report.error.startswith("URL sources")):
                problems.append(ConfigProblem(source, line_for(lines, report.path), report.path,
                                              f"{report.name}: {report.error}", "warning"))
            continue
        found = list(report.parsed.problems)
        if report in surveys and objectives:
            found += build_unknown_objective_problems(report.parsed.rows, objectives, report.name)
        for p in found[:PROBLEMS_SHOWN]:
            # a reading of a KPI no goal defines is a config mismatch (a misspelt name on one
            # side): an error, like an objective Jira does not know; other bad rows are skipped
            problems.append(ConfigProblem(p.source, p.line, report.path, p.message,
                                          "error" if p.kind == "unknown_kpi" else "warning"))
        if len(found) > PROBLEMS_SHOWN:
            problems.append(ConfigProblem(report.name, None, report.path,
                                          f"… and {len(found) - PROBLEMS_SHOWN} more", "warning"))
    return problems
