"""The `goldenthread.yaml` schema (pydantic) and a parser whose errors name the YAML line.

`parse_config(text, source)` is pure: callers read the file. Every error becomes a
`ConfigError` listing `ConfigProblem`s with file, line, the dotted path and what was expected.
Reading the YAML (bounded, with each key's line) is `mappings.yaml_lines`.
"""

from __future__ import annotations

import difflib
import re
import string
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from goldenthread.mappings.records import CANONICAL_FIELDS, TEXT_FIELDS, Stage
from goldenthread.mappings.yaml_lines import LineMap, Refused, line_for, parse_yaml

SPACE_KEY = re.compile(r"~?[A-Za-z0-9_]+")  # "~name" is a personal space
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Title = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JiraSection(_Strict):
    backlog_jql: str = "labels = internal-product"
    status_overrides: dict[str, Stage] = Field(default_factory=dict)
    lookback_minutes: int = Field(default=5, ge=0, le=1440)


class FieldsSection(_Strict):
    """Canonical name -> Jira field name or id. Every entry is optional."""

    reach: str | None = None
    impact: str | None = None
    confidence: str | None = None
    effort: str | None = None
    business_value: str | None = None
    time_criticality: str | None = None
    risk_reduction: str | None = None
    objective: str | None = None
    stakeholders: str | None = None
    target: str | None = None
    team: str | None = None
    adoption: str | None = None
    satisfaction: str | None = None
    release_note: str | None = None

    def mapped(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v}


class Person(_Strict):
    id: str
    name: str = ""
    power: Literal["high", "low"] = "low"
    interest: Literal["high", "low"] = "low"

    @field_validator("id")
    @classmethod
    def _non_empty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("a person's id must not be empty")
        return v


class RuleWhen(_Strict):
    component: str | None = None
    label: str | None = None
    issue_type: str | None = None
    team: str | None = None
    objective: str | None = None
    project: str | None = None
    reporter: bool | None = None


class Rule(_Strict):
    when: RuleWhen
    add: list[str] = Field(default_factory=list)


class StakeholdersSection(_Strict):
    write_back: Literal["field", "watchers", "off"] = "off"
    people: list[Person] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)

    @field_validator("write_back", mode="before")
    @classmethod
    def _yaml_off(cls, v: object) -> object:
        # YAML 1.1 reads a bare `off` as False; the docs write `write_back: off` unquoted
        return "off" if v is False else v


class PrioritisationSection(_Strict):
    model: Literal["rice", "wsjf", "weighted"] = "rice"
    weights: dict[str, float] = Field(default_factory=dict)
    # weights multiply scores: a negative one would rank an objective's best work last
    objective_weights: dict[str, NonNegative] = Field(default_factory=dict)
    quick_win_max_effort: NonNegative = 3
    # value (score before ÷ effort, × objective weight) at or above which an item is high value;
    # None: the median value of the open scored items
    high_value_min: float | None = None
    next_size: int = Field(default=10, ge=0)

    @field_validator("weights")
    @classmethod
    def _known_weights(cls, v: dict[str, float]) -> dict[str, float]:
        for name in v:
            if name not in CANONICAL_FIELDS:
                hint = difflib.get_close_matches(name, CANONICAL_FIELDS, n=1)
                extra = f"; did you mean {hint[0]!r}?" if hint else ""
                raise ValueError(f"{name!r} is not a canonical field{extra}")
        return v


class SourceRef(_Strict):
    """A CSV or JSON file of KPI readings or survey answers: a local path (relative to the
    config file) or an https URL. `format` defaults to the file's extension."""

    path: str
    format: Literal["csv", "json"] | None = None

    @field_validator("path")
    @classmethod
    def _local_or_https(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("a source path must not be empty")
        parts = urlsplit(v)
        scheme = parts.scheme.lower()
        # plain http only on loopback (the bundled sandbox): survey answers can name people
        loopback = scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
        if scheme and len(scheme) > 1 and scheme != "https" and not loopback:
            raise ValueError(f"{v!r}: expected a local path or an https:// URL")
        return v

    @property
    def is_url(self) -> bool:
        return urlsplit(self.path).scheme.lower() in ("http", "https")

    @property
    def kind(self) -> Literal["csv", "json"]:
        if self.format:
            return self.format
        return "json" if urlsplit(self.path).path.lower().endswith(".json") else "csv"


class OutcomesSection(_Strict):
    sla_days: dict[str, Positive] = Field(default_factory=lambda: {"default": 30.0})
    measurements: list[SourceRef] = Field(default_factory=list)  # KPI readings: kpi, date, value
    surveys: list[SourceRef] = Field(default_factory=list)  # answers: date, score, objective[, comment]

    @field_validator("sla_days")
    @classmethod
    def _has_default(cls, v: dict[str, float]) -> dict[str, float]:
        if "default" not in v:
            v = {**v, "default": 30.0}
        return v


ReleaseCategory = Literal["new", "improved", "fixed"]
DEFAULT_CATEGORIES: dict[str, ReleaseCategory] = {"Bug": "fixed", "Improvement": "improved", "default": "new"}
#: What's new can group by these besides a canonical text field (`fields:`).
PRODUCT_SOURCES: tuple[str, ...] = ("project", "component", *TEXT_FIELDS)


class PublishSection(_Strict):
    space: str = "IPM"
    parent: Title = "Internal products"
    roadmap: Title = "Roadmap"
    whats_new: Title = "What's new"
    whats_new_archive: Title = "What's new in {year}"
    whats_new_months: int = Field(default=3, ge=1, le=24)
    goals: Title = "Goals"
    monthly_parent: Title = "Stakeholder reports"
    monthly_report: Title = "Stakeholder report {month}"
    minutes: Title = "Stakeholder meeting {month}: minutes"
    later_limit: int = Field(default=20, ge=0, le=500)
    product_by: str = "project"
    categories: dict[str, ReleaseCategory] = Field(default_factory=lambda: dict(DEFAULT_CATEGORIES))
    on_manual_edit: Literal["overwrite", "skip"] = "overwrite"

    @field_validator("space")
    @classmethod
    def _space_key(cls, v: str) -> str:
        if not SPACE_KEY.fullmatch(v):
            raise ValueError(f"{v!r} is not a Confluence space key: letters and digits, e.g. IPM "
                             "(the key in the space's URL: /spaces/IPM/...)")
        return v

    @field_validator("monthly_report", "minutes")
    @classmethod
    def _one_page_per_month(cls, v: str) -> str:
        return _check_template(v, "month", "every month's report would overwrite the same page; "
                                           "e.g. 'Stakeholder report {month}'")

    @field_validator("whats_new_archive")
    @classmethod
    def _one_page_per_year(cls, v: str) -> str:
        return _check_template(v, "year", "every year's archive would be the same page; e.g. \"What's new in {year}\"")

    @field_validator("product_by")
    @classmethod
    def _known_product(cls, v: str) -> str:
        if v not in PRODUCT_SOURCES:
            hint = difflib.get_close_matches(v, PRODUCT_SOURCES, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else f"; expected one of: {', '.join(PRODUCT_SOURCES)}"
            raise ValueError(f"{v!r} cannot name a product{extra}")
        return v

    @field_validator("categories")
    @classmethod
    def _has_default_category(cls, v: dict[str, ReleaseCategory]) -> dict[str, ReleaseCategory]:
        return v if "default" in v else {**v, "default": "new"}

    def category_of(self, issue_type: str) -> ReleaseCategory:
        """new | improved | fixed for an issue type (matched case-insensitively), else `default`."""
        wanted = issue_type.casefold()
        for name, category in self.categories.items():
            if name != "default" and name.casefold() == wanted:
                return category
        return self.categories["default"]


def _check_template(v: str, field: str, why: str) -> str:
    """`v` if it is a title template filling in exactly `{field}`, else ValueError saying `why`."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(v) if name is not None}
    except ValueError as exc:  # an unmatched brace
        raise ValueError(f"{v!r} is not a title template ({exc}); write {{{field}}} where the {field} goes") from None
    if field not in names:
        raise ValueError(f"{v!r} has no {{{field}}}: {why}")
    unknown = sorted(names - {field})
    if unknown:
        raise ValueError(f"{v!r} uses {', '.join('{' + n + '}' for n in unknown)}; only {{{field}}} is filled in")
    return v


def parse_cron(expr: str) -> str:
    """`expr` if it is a cron expression that fires (5 fields, or 6 with seconds), else ValueError."""
    from croniter import croniter  # only when a config is read: `--help` stays fast

    example = "e.g. '*/15 * * * *' (every 15 minutes) or '0 8 1 * *' (08:00 UTC on the 1st); null turns it off"
    if not croniter.is_valid(expr):
        raise ValueError(f"{expr!r} is not a cron expression (minute hour day-of-month month day-of-week), {example}")
    try:
        croniter(expr, datetime(2024, 1, 1, tzinfo=UTC)).get_next(datetime)
    except Exception:  # noqa: BLE001 - croniter gives up searching: the expression never matches a date
        raise ValueError(f"{expr!r} never fires (no date matches it), {example}") from None
    return expr


class DatedValue(_Strict):
    value: float
    date: date


class Kpi(_Strict):
    """A key result an objective is measured by: from `baseline` to `target` (lower is better
    when the target is below the baseline)."""

    name: str
    unit: str = ""
    baseline: DatedValue
    target: DatedValue

    @field_validator("name")
    @classmethod
    def _named(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("a KPI needs a name (readings refer to it)")
        return v.strip()

    @model_validator(mode="after")
    def _a_distance_to_cover(self) -> Kpi:
        if self.target.value == self.baseline.value:
            raise ValueError(f"KPI {self.name!r}: target equals baseline ({self.baseline.value:g}); "
                             "progress toward it cannot be measured")
        if self.target.date <= self.baseline.date:
            raise ValueError(f"KPI {self.name!r}: target date {self.target.date} must come after "
                             f"the baseline date {self.baseline.date}")
        return self


class ObjectiveSpec(_Strict):
    """An objective under a goal: `name` is an option of the Jira field mapped as `objective`."""

    name: str
    weight: float | None = Field(default=None, ge=0)  # ranking multiplier; wins over objective_weights
    owner: str | None = None  # a person of stakeholders.people
    kpis: list[Kpi] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _named(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("an objective needs a name (an option of the Jira objective field)")
        return v.strip()


class Goal(_Strict):
    name: str
    objectives: list[ObjectiveSpec] = Field(default_factory=list)


class ScheduleSection(_Strict):
    sync: str | None = "*/15 * * * *"
    monthly_report: str | None = "0 8 1 * *"

    @field_validator("sync", "monthly_report")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        return None if v is None else parse_cron(v)


class Config(_Strict):
    jira: JiraSection = Field(default_factory=JiraSection)
    fields: FieldsSection = Field(default_factory=FieldsSection)
    stakeholders: StakeholdersSection = Field(default_factory=StakeholdersSection)
    prioritisation: PrioritisationSection = Field(default_factory=PrioritisationSection)
    goals: list[Goal] = Field(default_factory=list)
    outcomes: OutcomesSection = Field(default_factory=OutcomesSection)
    publish: PublishSection = Field(default_factory=PublishSection)
    schedule: ScheduleSection = Field(default_factory=ScheduleSection)

    def stage_override(self, status: str) -> Stage | None:
        wanted = status.casefold()
        for name, stage in self.jira.status_overrides.items():
            if name.casefold() == wanted:
                return stage
        return None

    def objective_weights(self) -> dict[str, float]:
        """Objective name (casefolded) -> ranking multiplier: `prioritisation.objective_weights`,
        overridden by a weight given under `goals:` (the first objective of a name wins)."""
        out = {k.casefold(): float(v) for k, v in self.prioritisation.objective_weights.items()}
        seen: set[str] = set()
        for goal in self.goals:
            for objective in goal.objectives:
                key = objective.name.casefold()
                if objective.weight is not None and key not in seen:
                    out[key] = float(objective.weight)
                seen.add(key)
        return out


@dataclass(frozen=True)
class ConfigProblem:
    source: str
    line: int | None  # 1-based
    path: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        loc = f" ({self.path})" if self.path else ""
        return f"{where}{loc}: {self.severity}: {self.message}"


class ConfigError(ValueError):
    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _describe(error: ErrorDetails, path: str) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        parent, _, name = path.rpartition(".")
        known = _known_keys(parent)
        hint = difflib.get_close_matches(name, known, n=1)
        what = "section" if not parent else "key"
        msg = f"unknown {what} {name!r}"
        if hint:
            msg += f"; did you mean {hint[0]!r}?"
        elif known:
            msg += f"; expected one of: {', '.join(sorted(known))}"
        return msg
    if kind == "value_error":  # our validators' messages already say what was given
        return str((error.get("ctx") or {}).get("error") or error.get("msg", "invalid value"))
    got = error.get("input")
    got_txt = f" (got {got!r})" if not isinstance(got, (dict, list)) else ""
    return f"{error.get('msg', 'invalid value')}{got_txt}"


def _known_keys(dotted: str) -> list[str]:
    model: Any = Config
    for part in [p for p in dotted.split(".") if p]:
        if part.isdigit():
            continue
        field_info = getattr(model, "model_fields", {}).get(part)
        if field_info is None:
            return []
        ann = field_info.annotation
        inner = getattr(ann, "__args__", None)
        model = inner[0] if inner and hasattr(inner[0], "model_fields") else ann
    return list(getattr(model, "model_fields", {}))


def parse_config(text: str, source: str = "goldenthread.yaml") -> tuple[Config, LineMap]:
    """Parse and validate YAML text. Raises ConfigError naming file, line and expectation."""
    try:
        data, lines = parse_yaml(text)
    except Refused as exc:
        raise ConfigError([ConfigProblem(source, exc.line, "", f"refused: {exc}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(
            [ConfigProblem(source, line, "", f"not valid YAML: {problem}")]
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            [ConfigProblem(source, 1, "", "expected a mapping of sections (jira:, fields:, ...)")]
        )
    try:
        return Config.model_validate(data), lines
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path = ".".join(str(p) for p in err["loc"])
            problems.append(ConfigProblem(source, line_for(lines, path), path, _describe(err, path)))
        raise ConfigError(problems) from None
