"""Field mapping checks: unknown names with "did you mean", wrong types, duplicates, optional fields."""

from __future__ import annotations

from goldenthread.mappings.config import parse_config
from goldenthread.mappings.fields import check_field_config, check_field_mappings
from goldenthread.mappings.fields import parse_field_list

JIRA_FIELDS = parse_field_list(
    [
        {"id": "customfield_10100", "name": "Reach", "custom": True, "schema": {"type": "number"}},
        {"id": "customfield_10101", "name": "Impact", "custom": True, "schema": {"type": "option"}},
        {"id": "customfield_10102", "name": "Confidence", "custom": True, "schema": {"type": "number"}},
        {"id": "customfield_10103", "name": "Story Points", "custom": True, "schema": {"type": "number"}},
        {"id": "customfield_10107", "name": "Objective", "custom": True, "schema": {"type": "option"}},
        {"id": "customfield_10108", "name": "Stakeholders", "custom": True, "schema": {"type": "array", "items": "user"}},
        {"id": "customfield_10110", "name": "Team", "custom": True, "schema": {"type": "string"}},
        {"id": "customfield_10120", "name": "Release notes", "custom": True, "schema": {"type": "string"}},
        {"id": "summary", "name": "Summary", "schema": {"type": "string"}},
    ]
)


def config(fields_yaml: str, model: str = "rice"):  # type: ignore[no-untyped-def]
    text = f"jira:\n  backlog_jql: 'labels = internal-product'\nprioritisation:\n  model: {model}\nfields:\n{fields_yaml}"
    return parse_config(text)


def test_unknown_name_did_you_mean_with_yaml_line() -> None:
    cfg, lines = config("  reach: Reach\n  impact: Impact\n  confidence: Confidense\n  effort: Story Points\n")
    _, problems = check_field_mappings(cfg, lines, JIRA_FIELDS)
    errors = [p for p in problems if p.severity == "error"]
    assert len(errors) == 1
    p = errors[0]
    assert p.path == "fields.confidence"
    assert p.line == 8  # jira(1) backlog(2) prioritisation(3) model(4) fields(5) reach(6) impact(7) confidence(8)
    assert "did you mean 'Confidence' (customfield_10102)" in p.message


def test_text_field_mapped_to_effort_is_a_type_error() -> None:
    cfg, lines = config("  reach: Reach\n  impact: Impact\n  confidence: Confidence\n  effort: Release notes\n")
    _, problems = check_field_mappings(cfg, lines, JIRA_FIELDS)
    [p] = [p for p in problems if p.severity == "error"]
    assert p.path == "fields.effort" and p.line == 9
    assert "string" in p.message and "effort needs a number field" in p.message


def test_non_user_field_mapped_to_stakeholders() -> None:
    cfg, lines = config("  reach: Reach\n  impact: Impact\n  confidence: Confidence\n  effort: Story Points\n"
                        "  stakeholders: Team\n")
    _, problems = check_field_mappings(cfg, lines, JIRA_FIELDS)
    [p] = [p for p in problems if p.severity == "error"]
    assert p.path == "fields.stakeholders" and p.line == 10 and "user picker" in p.message


def test_duplicate_offline_and_online() -> None:
    yaml_fields = ("  reach: Reach\n  impact: Impact\n  confidence: Confidence\n  effort: Story Points\n"
                   "  business_value: customfield_10100\n  objective: objective\n  team: Objective\n")
    cfg, lines = config(yaml_fields)
    offline = check_field_config(cfg, lines)
    # offline only sees equal strings ("objective" vs "Objective", case-insensitive)
    assert [(p.path, p.line) for p in offline if p.severity == "error"] == [("fields.team", 12)]
    _, online = check_field_mappings(cfg, lines, JIRA_FIELDS)
    dupes = sorted((p.path, p.line) for p in online if "also mapped" in p.message)
    # online also sees the id of Reach written as customfield_10100
    assert dupes == [("fields.business_value", 10), ("fields.team", 12)]


def test_missing_optional_field_is_a_warning_naming_the_unavailable_metric() -> None:
    cfg, lines = config("  reach: Reach\n  impact: Impact\n  confidence: Confidence\n  effort: Story Points\n"
                        "  adoption: Adoption rate\n")
    field_map, problems = check_field_mappings(cfg, lines, JIRA_FIELDS)
    assert [p for p in problems if p.severity == "error"] == []
    [w] = [p for p in problems if p.path == "fields.adoption"]
    assert w.severity == "warning" and w.line == 10 and "adoption rate metric will be unavailable" in w.message


def test_unmapped_model_inputs_warn() -> None:
    cfg, lines = config("  effort: Story Points\n", model="wsjf")
    problems = check_field_config(cfg, lines)
    [w] = problems
    assert w.severity == "warning"
    assert "business_value, time_criticality, risk_reduction" in w.message


def test_ambiguous_name_warns_and_suggests_id() -> None:
    fields = JIRA_FIELDS + parse_field_list([{"id": "customfield_20000", "name": "team", "custom": True,
                                              "schema": {"type": "option"}}])
    cfg, lines = config("  reach: Reach\n  impact: Impact\n  confidence: Confidence\n  effort: Story Points\n"
                        "  team: Team\n")
    _, problems = check_field_mappings(cfg, lines, fields)
    [w] = [p for p in problems if p.path == "fields.team"]
    assert w.severity == "warning" and "customfield_10110" in w.message and "customfield_20000" in w.message
