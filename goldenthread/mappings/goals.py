"""Pure checks of `goals:` (and what refers to it), each problem with its YAML line.

Offline (`check_goals`): owners that are not configured people, an objective or a KPI named
twice (readings name a KPI only by its name, so KPI names are unique across every goal), a
weight given both under `goals:` and in `prioritisation.objective_weights` with different
values (the goal's wins), KPI sources with no KPI to measure. With the options of the Jira field
mapped as `objective` (`check_objective_options`): every objective must be one of them, else
"did you mean".
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from goldenthread.mappings.config import Config, ConfigProblem
from goldenthread.mappings.config_sections import ObjectiveSpec
from goldenthread.mappings.yaml_lines import LineMap, line_for


def iter_objectives(config: Config) -> Iterator[tuple[str, int, int, ObjectiveSpec]]:
    """(goal name, goal index, objective index, objective) of every configured objective."""
    for gi, goal in enumerate(config.goals):
        for oi, objective in enumerate(goal.objectives):
            yield goal.name, gi, oi, objective


def _hint(value: str, choices: Iterable[str]) -> str:
    folded = {c.casefold(): c for c in choices}
    hits = difflib.get_close_matches(value.casefold(), list(folded), n=1, cutoff=0.6)
    return f"; did you mean {folded[hits[0]]!r}?" if hits else ""


def check_goals(config: Config, lines: LineMap, source: str = "goldenthread.yaml") -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []

    def add(path: str, message: str, severity: str = "error") -> None:
        problems.append(ConfigProblem(source, line_for(lines, path), path, message, severity))  # type: ignore[arg-type]

    people = {p.id.casefold(): p for p in config.stakeholders.people}
    by_name = {p.name.casefold(): p for p in config.stakeholders.people if p.name}
    legacy = {k.casefold(): v for k, v in config.prioritisation.objective_weights.items()}
    seen_objectives: dict[str, str] = {}
    seen_kpis: dict[str, str] = {}
    for goal_name, gi, oi, objective in iter_objectives(config):
        here = f"goals.{gi}.objectives.{oi}"
        key = objective.name.casefold()
        if key in seen_objectives:
            add(f"{here}.name", f"objective {objective.name!r} is already listed under goal "
                                f"{seen_objectives[key]!r}; an objective serves one goal")
        else:
            seen_objectives[key] = goal_name
        if objective.owner is not None and objective.owner.casefold() not in people:
            named = by_name.get(objective.owner.casefold())
            hint = (f"; {named.name!r} is configured with id {named.id!r}" if named
                    else _hint(objective.owner, [p.id for p in config.stakeholders.people]))
            add(f"{here}.owner", f"owner {objective.owner!r} is not a person of stakeholders.people{hint}")
        if objective.weight is not None and key in legacy and legacy[key] != objective.weight:
            add(f"{here}.weight", f"weight {objective.weight:g} wins over prioritisation.objective_weights "
                                  f"({legacy[key]:g}) for {objective.name!r}", "warning")
        for ki, kpi in enumerate(objective.kpis):
            kkey = kpi.name.casefold()
            if kkey in seen_kpis:
                add(f"{here}.kpis.{ki}.name", f"KPI {kpi.name!r} is already defined under objective "
                                              f"{seen_kpis[kkey]!r}; readings name a KPI only by its name")
            else:
                seen_kpis[kkey] = objective.name
    if config.goals and not config.fields.objective:
        add("fields", "goals are configured but fields.objective is not mapped: no work can be linked "
                      "to an objective", "warning")
    if config.outcomes.measurements and not seen_kpis:
        add("outcomes.measurements", "KPI readings are configured but no goal defines a KPI: every "
                                     "reading would be skipped", "warning")
    return problems


def check_objective_options(
    config: Config, lines: LineMap, options: Iterable[str], source: str = "goldenthread.yaml",
    *, what: str = "option of the Jira objective field",
) -> list[ConfigProblem]:
    """Every configured objective must match (case-insensitively) one of `options`."""
    choices = [o for o in options if o]
    known = {o.casefold() for o in choices}
    problems: list[ConfigProblem] = []
    for _, gi, oi, objective in iter_objectives(config):
        if objective.name.casefold() in known:
            continue
        path = f"goals.{gi}.objectives.{oi}.name"
        hint = _hint(objective.name, choices) or (f"; expected one of: {', '.join(sorted(choices))}"
                                                  if 0 < len(choices) <= 12 else "")
        problems.append(ConfigProblem(source, line_for(lines, path), path,
                                      f"objective {objective.name!r} is no {what}{hint}"))
    return problems
