"""The sections of `goldenthread.yaml`, one pydantic model each, with their validators.

`config.Config` puts them together and `config.parse_config` reads a file into them; the
validators' messages say what was given and what was meant, since the parser shows them as is.

Tests: tests/mappings/test_config.py
"""

from __future__ import annotations

import difflib
import re
import string
from datetime import UTC, date, datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from goldenthread.mappings.records import CANONICAL_FIELDS, TEXT_FIELDS, Stage

SPACE_KEY = re.compile(r"~?[A-Za-z0-9_]+")  # "~name" is a personal space
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Title = Annotated[str, Field(min_length=1)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JiraSection(StrictModel):
    backlog_jql: str = "labels = internal-product"
    status_overrides: dict[str, Stage] = Field(default_factory=dict)
    lookback_minutes: int = Field(default=5, ge=0, le=1440)


class FieldsSection(StrictModel):
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


class Person(StrictModel):
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


class RuleWhen(StrictModel):
    component: str | None = None
    label: str | None = None
    issue_type: str | None = None
    team: str | None = None
    objective: str | None = None
    project: str | None = None
    reporter: bool | None = None


class Rule(StrictModel):
    when: RuleWhen
    add: list[str] = Field(default_factory=list)


class StakeholdersSection(StrictModel):
    write_back: Literal["field", "watchers", "off"] = "off"
    people: list[Person] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)

    @field_validator("write_back", mode="before")
    @classmethod
    def _yaml_off(cls, v: object) -> object:
        # YAML 1.1 reads a bare `off` as False; the docs write `write_back: off` unquoted
        return "off" if v is False else v


class PrioritisationSection(StrictModel):
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


class SourceRef(StrictModel):
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


class OutcomesSection(StrictModel):
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


class PublishSection(StrictModel):
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


class DatedValue(StrictModel):
    value: float
    date: date


class Kpi(StrictModel):
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


class ObjectiveSpec(StrictModel):
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


class Goal(StrictModel):
    name: str
    objectives: list[ObjectiveSpec] = Field(default_factory=list)


class ScheduleSection(StrictModel):
    sync: str | None = "*/15 * * * *"
    monthly_report: str | None = "0 8 1 * *"

    @field_validator("sync", "monthly_report")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        return None if v is None else parse_cron(v)
