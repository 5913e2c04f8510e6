"""Config errors name the file, the YAML line and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from goldenthread.mappings import yaml_lines
from goldenthread.mappings.config import Config, ConfigError, parse_config
from goldenthread.mappings.starter import render_starter_config


def _problems(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "gt.yaml")
    return [(p.line, p.path, p.message) for p in info.value.problems]


def test_starter_config_is_valid_and_maps_every_canonical_field() -> None:
    config, lines = parse_config(render_starter_config())
    assert config.prioritisation.model == "rice"
    assert config.stage_override("won't do") == "discarded"  # case-insensitive
    assert set(config.fields.mapped()) == set(Config.model_fields["fields"].annotation.model_fields)  # type: ignore[union-attr]
    assert lines["fields.effort"] > lines["fields"]


def test_bad_yaml_names_the_line() -> None:
    text = "jira:\n  backlog_jql: 'labels = x'\nfields:\n  reach: [unclosed\n  impact: Impact\n"
    ((line, _, message),) = _problems(text)
    assert "not valid YAML" in message
    assert line is not None and line >= 4  # the unclosed flow sequence starts on line 4


def test_wrong_type_names_line_path_and_expectation() -> None:
    text = "prioritisation:\n  model: rice\n  next_size: lots\n"
    ((line, path, message),) = _problems(text)
    assert (line, path) == (3, "prioritisation.next_size")
    assert "integer" in message and "'lots'" in message


def test_unknown_section_suggests_the_closest() -> None:
    ((line, path, message),) = _problems("jira: {}\nprioritization:\n  model: rice\n")
    assert (line, path) == (2, "prioritization")
    assert "unknown section" in message and "did you mean 'prioritisation'" in message


def test_unknown_key_inside_a_section_and_bad_enum() -> None:
    text = "fields:\n  reach: Reach\n  efort: Story Points\nstakeholders:\n  write_back: sometimes\n"
    problems = sorted(_problems(text))
    assert problems[0][:2] == (3, "fields.efort") and "did you mean 'effort'" in problems[0][2]
    assert problems[1][:2] == (5, "stakeholders.write_back")
    assert "'field'" in problems[1][2] and "'sometimes'" in problems[1][2]


def test_errors_inside_lists_point_at_the_item() -> None:
    text = (
        "stakeholders:\n"
        "  people:\n"
        "    - {id: a, power: high}\n"
        "    - {id: b, power: enormous}\n"
    )
    ((line, path, _),) = _problems(text)
    assert (line, path) == (4, "stakeholders.people.1.power")


def test_status_override_must_be_a_stage_and_weights_canonical() -> None:
    text = "jira:\n  status_overrides:\n    Parked: paused\nprioritisation:\n  weights: {reech: 2}\n"
    problems = dict((p, (l, m)) for l, p, m in _problems(text))
    assert problems["jira.status_overrides.Parked"][0] == 3
    assert "did you mean 'reach'" in problems["prioritisation.weights"][1]


def test_not_a_mapping_and_empty_file() -> None:
    ((line, _, message),) = _problems("- just\n- a list\n")
    assert line == 1 and "mapping of sections" in message
    config, _ = parse_config("")
    assert config == Config()


def test_message_format_is_file_line_path() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("publish:\n  on_manual_edit: maybe\n", "conf/goldenthread.yaml")
    assert str(info.value).startswith("conf/goldenthread.yaml:2 (publish.on_manual_edit): error:")


def test_yaml_safe_load_refuses_python_tags(tmp_path: Path) -> None:
    # Executed, this tag would create a directory and yield None, which is a valid `schedule.sync`
    # (the job turned off): an unsafe loader would accept the file and leave the directory behind.
    ran = tmp_path / "ran"
    text = f"schedule:\n  sync: !!python/object/apply:os.mkdir [{str(ran)!r}]\n"
    with pytest.raises(ConfigError) as info:
        parse_config(text, "evil.yaml")
    assert not ran.exists()
    [problem] = info.value.problems
    assert (problem.source, problem.line) == ("evil.yaml", 2)
    assert "not valid YAML" in problem.message and "python/object/apply" in problem.message


def test_the_python_tag_test_would_catch_an_unsafe_loader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test above can fail: with a loader that constructs Python objects the tag runs."""

    class Unsafe(yaml.UnsafeLoader):
        pass

    monkeypatch.setattr(yaml_lines, "_BoundedLoader", Unsafe)
    with pytest.raises(pytest.fail.Exception):
        test_yaml_safe_load_refuses_python_tags(tmp_path)
    assert (tmp_path / "ran").is_dir()


BILLION_LAUGHS = "\n".join(
    [f'a: &a [{", ".join(["lol"] * 9)}]']
    + [f"{x}: &{x} [{', '.join([f'*{p}'] * 9)}]" for p, x in zip("abcdefgh", "bcdefghi", strict=True)]
    + ["fields: {reach: Reach}"]
)


def test_alias_bomb_is_refused_quickly_with_one_line() -> None:
    """Nine lists of nine aliases expand to 9^9 values: the old loader ran ~58 s into a MemoryError."""
    ((line, path, message),) = _problems(BILLION_LAUGHS)
    assert message.startswith("refused:") and "aliases" in message and line is not None and path == ""


def test_aliases_within_bounds_still_work() -> None:
    text = "people: &p []\nstakeholders:\n  people: *p\njira: &j {backlog_jql: 'labels = x'}\n"
    ((_, path, message),) = _problems(text)  # only the unknown section is a problem, not the aliases
    assert path == "people" and "unknown section" in message
    config, lines = parse_config("x: &q 'labels = y'\n".replace("x:", "jira:\n  backlog_jql:") + "")
    assert config.jira.backlog_jql == "labels = y" and lines["jira.backlog_jql"] == 2


def test_expansion_bound_catches_a_wide_bomb_with_few_aliases() -> None:
    # 3 aliases x 99 elements each level: 99^3 values from under 100 aliases
    wide = ", ".join(["x"] * 99)
    text = f"a: &a [{wide}]\nb: &b [{', '.join(['*a'] * 33)}]\nc: &c [{', '.join(['*b'] * 33)}]\n"
    ((_, _, message),) = _problems(text)
    assert message.startswith("refused:") and "expands to more than" in message


@pytest.mark.parametrize("text,why", [
    ("a: &a [*a]\n", "expands to more than"),  # a recursive anchor
    ("[" * 5000 + "]" * 5000, "nested too deeply"),
    ("x: '" + "y" * (1024 * 1024) + "'\n", "over 1024 KiB"),
])
def test_other_bombs_are_refused(text: str, why: str) -> None:
    ((_, _, message),) = _problems(text)
    assert message.startswith("refused:") and why in message


def test_repeated_key_points_at_its_last_line_like_yaml() -> None:
    text = "prioritisation:\n  next_size: 3\n  next_size: lots\n"
    ((line, path, _),) = _problems(text)
    assert (line, path) == (3, "prioritisation.next_size")
