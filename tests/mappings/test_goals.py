"""`goals:`, `outcomes.measurements` / `surveys` and `publish.goals` in goldenthread.yaml: parsed,
validated with the YAML line, and checked against people, each other and Jira's options."""

from __future__ import annotations

from datetime import date

import pytest

from goldenthread.mappings.config import ConfigError, parse_config
from goldenthread.mappings.goals import check_goals, check_objective_options
from goldenthread.mappings.starter import render_starter_config

DANA = "557058:aaaa"

GOALS = f"""\
fields: {{objective: Objective}}
stakeholders:
  people:
    - {{id: "{DANA}", name: Dana}}
prioritisation:
  objective_weights: {{"Cut time-to-hire": 1.2, "Self-service IT": 0.5}}
goals:
  - name: Hire faster
    objectives:
      - name: Cut time-to-hire
        weight: 1.5
        owner: "{DANA}"
        kpis:
          - name: Offer approval time
            unit: days
            baseline: {{value: 5, date: 2026-01-01}}
            target: {{value: 2, date: 2027-03-31}}
  - name: Great place to work
    objectives:
      - name: Self-service IT
        owner: Dana
        kpis:
          - name: offer approval time
            baseline: {{value: 20, date: 2026-01-01}}
            target: {{value: 60, date: 2026-12-31}}
      - name: cut time-to-hire
outcomes:
  measurements:
    - {{path: kpis.csv}}
  surveys:
    - {{path: "https://example.com/survey.json?sig=abc", format: json}}
publish: {{goals: Golden thread}}
"""


def test_goals_parse_with_weights_owner_kpis_and_sources() -> None:
    config, _ = parse_config(GOALS)
    (objective, *_) = config.goals[0].objectives
    kpi = objective.kpis[0]
    assert (objective.name, objective.weight, objective.owner) == ("Cut time-to-hire", 1.5, DANA)
    assert (kpi.unit, kpi.baseline.value, kpi.baseline.date, kpi.target.date) == (
        "days", 5.0, date(2026, 1, 1), date(2027, 3, 31))
    assert config.outcomes.measurements[0].kind == "csv" and not config.outcomes.measurements[0].is_url
    assert config.outcomes.surveys[0].kind == "json" and config.outcomes.surveys[0].is_url
    assert config.publish.goals == "Golden thread"
    # the goal's weight wins over objective_weights; objective_weights still counts elsewhere
    assert config.objective_weights() == {"cut time-to-hire": 1.5, "self-service it": 0.5}


def _uncommented(text: str) -> str:
    """The starter with its commented goals and sources switched on (an admin's first edit)."""
    text = text.replace("goals: []\n# goals:\n", "goals:\n")
    text = text.replace("measurements: []", "measurements:").replace("surveys: []", "surveys:")
    return "\n".join(line[2:] if line.startswith("#   ") or line.startswith("#     ") else
                     line.replace("  #   - {path", "    - {path") for line in text.splitlines())


def test_publish_goals_defaults_and_the_starter_carries_a_commented_example() -> None:
    assert parse_config("")[0].publish.goals == "Goals"
    starter, _ = parse_config(render_starter_config())
    assert starter.goals == [] and starter.outcomes.measurements == []  # nothing to fail `check`
    example, _ = parse_config(_uncommented(render_starter_config()))
    (goal,) = example.goals
    (kpi,) = goal.objectives[0].kpis
    assert (goal.name, goal.objectives[0].weight, kpi.name) == ("Hire faster", 1.5, "Offer approval time")
    assert [s.path for s in example.outcomes.measurements] == ["kpis.csv"]
    assert example.outcomes.surveys[0].is_url and example.publish.goals == "Goals"


def _problems(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "gt.yaml")
    return [(p.line, p.path, p.message) for p in info.value.problems]


def test_a_kpi_without_a_distance_to_cover_or_a_bad_date_names_its_line() -> None:
    text = (
        "goals:\n"
        "  - name: G\n"
        "    objectives:\n"
        "      - name: O\n"
        "        kpis:\n"
        "          - name: Flat\n"
        "            baseline: {value: 5, date: 2026-01-01}\n"
        "            target: {value: 5, date: 2027-01-01}\n"
        "          - name: Backwards\n"
        "            baseline: {value: 5, date: 2026-01-01}\n"
        "            target: {value: 2, date: 2025-01-01}\n"
        "          - name: No such day\n"
        "            baseline: {value: 5, date: 2026-13-01}\n"
        "            target: {value: 2, date: 2027-01-01}\n"
    )
    flat, backwards, bad_day = _problems(text)
    assert flat[:2] == (6, "goals.0.objectives.0.kpis.0") and "target equals baseline" in flat[2]
    assert backwards[:2] == (9, "goals.0.objectives.0.kpis.1") and "must come after" in backwards[2]
    assert bad_day[:2] == (13, "goals.0.objectives.0.kpis.2.baseline.date")


def test_sources_are_local_paths_or_https_urls() -> None:
    ((line, path, message),) = _problems("outcomes:\n  measurements:\n    - {path: 'ftp://x.example/k.csv'}\n")
    assert (line, path) == (3, "outcomes.measurements.0.path") and "https://" in message
    ((line, path, message),) = _problems("outcomes:\n  surveys:\n    - {path: s.csv, fromat: csv}\n")
    assert path == "outcomes.surveys.0.fromat" and "did you mean 'format'" in message
    # plain http only for the loopback sandbox
    assert parse_config("outcomes:\n  surveys:\n    - {path: 'http://127.0.0.1:8000/s.json'}\n")
    assert _problems("outcomes:\n  surveys:\n    - {path: 'http://example.com/s.json'}\n")


def test_check_goals_owner_duplicates_and_weight_conflict_with_lines() -> None:
    config, lines = parse_config(GOALS)
    found = {(p.line, p.path, p.severity): p.message for p in check_goals(config, lines, "gt.yaml")}
    assert set(found) == {
        (11, "goals.0.objectives.0.weight", "warning"),
        (21, "goals.1.objectives.0.owner", "error"),
        (23, "goals.1.objectives.0.kpis.0.name", "error"),
        (26, "goals.1.objectives.1.name", "error"),
    }
    assert "1.5 wins over prioritisation.objective_weights (1.2)" in found[(11, "goals.0.objectives.0.weight", "warning")]
    assert f"'Dana' is configured with id '{DANA}'" in found[(21, "goals.1.objectives.0.owner", "error")]
    assert "already defined under objective 'Cut time-to-hire'" in found[(23, "goals.1.objectives.0.kpis.0.name", "error")]
    assert "already listed under goal 'Hire faster'" in found[(26, "goals.1.objectives.1.name", "error")]


def test_objectives_are_checked_against_the_jira_options_with_did_you_mean() -> None:
    config, lines = parse_config(GOALS.replace("- name: Self-service IT", "- name: Self service I.T."))
    options = ["Cut time-to-hire", "Self-service IT", "Platform reliability"]
    (problem,) = check_objective_options(config, lines, options, "gt.yaml")
    assert (problem.line, problem.path, problem.severity) == (20, "goals.1.objectives.0.name", "error")
    assert "did you mean 'Self-service IT'?" in problem.message
    # case-insensitive, like the ranking's objective match
    assert check_objective_options(config, lines, [o.upper() for o in options] + ["SELF SERVICE I.T."]) == []


def test_goals_without_a_mapped_objective_field_or_kpis_for_readings_warn() -> None:
    config, lines = parse_config("goals: [{name: G, objectives: [{name: O}]}]\n"
                                 "outcomes: {measurements: [{path: k.csv}]}\n")
    messages = sorted((p.path, p.severity) for p in check_goals(config, lines))
    assert messages == [("fields", "warning"), ("outcomes.measurements", "warning")]
