"""The `goldenthread.yaml` schema (pydantic) and a parser whose errors name the YAML line.

`parse_config(text, source)` is pure: callers read the file. Every error becomes a
`ConfigError` listing `ConfigProblem`s with file, line, the dotted path and what was expected.
Each section's model is in `mappings.config_sections`; reading the YAML (bounded, with each
key's line) is `mappings.yaml_lines`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError
from pydantic_core import ErrorDetails

from goldenthread.mappings.config_sections import (
    FieldsSection,
    Goal,
    JiraSection,
    OutcomesSection,
    PrioritisationSection,
    PublishSection,
    ScheduleSection,
    StakeholdersSection,
    StrictModel,
)
from goldenthread.mappings.records import Stage
from goldenthread.mappings.yaml_lines import LineMap, Refused, line_for, parse_yaml


class Config(StrictModel):
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
