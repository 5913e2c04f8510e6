"""KPI readings and survey answers from CSV and JSON: bad rows are named by file and line and
skipped, every good row is kept."""

from __future__ import annotations

from datetime import date

from goldenthread.mappings.outcomes import parse_answers, parse_readings

KPIS = ["Offer approval time", "Self-service share"]


def test_csv_readings_keep_good_rows_and_name_each_bad_row_by_line() -> None:
    text = (
        "kpi,date,value\n"
        "Offer approval time,2026-01-15,4.5\n"
        "Offer approval time,2026-02-30,4.4\n"  # no 30 February
        "Offer approval time,2026-03-01,four\n"  # text in the number column
        "Ofer approval time,2026-03-02,4.1\n"  # a KPI no goal defines
        "\n"
        "self-service share,2026-03-03T23:30:00-02:00,31\n"  # other case; a date-time (UTC day)
    )
    parsed = parse_readings(text, "kpis.csv", "csv", KPIS)
    assert [(r.kpi, r.date, r.value, r.line) for r in parsed.rows] == [
        ("Offer approval time", date(2026, 1, 15), 4.5, 2),
        ("Self-service share", date(2026, 3, 4), 31.0, 7),
    ]
    problems = [(p.source, p.line, p.kind) for p in parsed.problems]
    assert problems == [("kpis.csv", 3, "row"), ("kpis.csv", 4, "row"), ("kpis.csv", 5, "unknown_kpi")]
    messages = [p.message for p in parsed.problems]
    assert "'2026-02-30' is not an ISO date" in messages[0]
    assert "value 'four' is not a number" in messages[1]
    assert "no KPI named 'Ofer approval time'" in messages[2]
    assert "did you mean 'Offer approval time'?" in messages[2]
    assert not parsed.unreadable


def test_csv_columns_in_any_order_extra_columns_ignored_later_row_of_a_day_wins() -> None:
    text = "Value,KPI,note,Date\n5,Offer approval time,x,2026-01-01\n4.8,Offer approval time,,2026-01-01\n"
    parsed = parse_readings(text, "k.csv", "csv", KPIS)
    assert [(r.date, r.value, r.line) for r in parsed.rows] == [(date(2026, 1, 1), 4.8, 3)]


def test_a_file_without_the_expected_header_is_unreadable_as_a_whole() -> None:
    parsed = parse_readings("date,value\n2026-01-01,3\n", "k.csv", "csv", KPIS)
    assert parsed.rows == () and parsed.unreadable
    (problem,) = parsed.problems
    assert (problem.line, problem.kind) == (1, "file") and "lacks kpi" in problem.message


def test_json_readings_report_the_line_of_each_bad_item() -> None:
    text = """[
  {"kpi": "Offer approval time", "date": "2026-01-15", "value": 4.5},
  {"kpi": "Offer approval time", "date": "15/01/2026", "value": 4.4},
  {"kpi": "Offer approval time",
   "date": "2026-02-15", "value": "n/a"},
  {"kpi": "Offer approval time", "date": "2026-03-15", "value": true},
  ["not", "an", "object"]
]"""
    parsed = parse_readings(text, "kpis.json", "json", KPIS)
    assert [(r.date, r.value) for r in parsed.rows] == [(date(2026, 1, 15), 4.5)]
    assert [p.line for p in parsed.problems] == [3, 4, 6, 7]
    assert "not an ISO date" in parsed.problems[0].message
    assert "'n/a' is not a number" in parsed.problems[1].message
    assert "True is not a number" in parsed.problems[2].message


def test_json_that_is_not_a_list_or_not_json_is_unreadable() -> None:
    assert parse_readings('{"kpi": "x"}', "k.json", "json", KPIS).unreadable
    broken = parse_readings('[{"kpi": "x",\n  oops]', "k.json", "json", KPIS)
    assert broken.unreadable and broken.problems[0].line == 2


def test_survey_answers_csv_scores_must_be_whole_numbers_from_0_to_10() -> None:
    text = (
        "date,score,objective,comment\n"
        "2026-03-01,9,Cut time-to-hire,\"Faster offers, finally\"\n"
        "2026-03-01,11,Cut time-to-hire,\n"
        "2026-03-01,7.5,Cut time-to-hire,\n"
        "2026-03-01,8,,\n"
        "2026-03-01,0,Self-service IT\n"  # no comment column value at all
    )
    parsed = parse_answers(text, "survey.csv", "csv")
    assert [(a.score, a.objective, a.comment, a.line) for a in parsed.rows] == [
        (9, "Cut time-to-hire", "Faster offers, finally", 2), (0, "Self-service IT", "", 6),
    ]
    assert [p.line for p in parsed.problems] == [3, 4, 5]
    assert "objective is empty" in parsed.problems[2].message


def test_answer_ids_survive_moved_lines_and_keep_identical_answers_apart() -> None:
    rows = "2026-03-01,9,Cut time-to-hire\n2026-03-01,9,Cut time-to-hire\n2026-03-02,3,Cut time-to-hire\n"
    first = parse_answers("date,score,objective\n" + rows, "s.csv", "csv").rows
    assert len({a.answer_id for a in first}) == 3  # two people gave the same answer: two rows
    moved = parse_answers("date,score,objective\n2026-02-01,10,Self-service IT\n" + rows, "s.csv", "csv").rows
    assert {a.answer_id for a in first} < {a.answer_id for a in moved}
    elsewhere = parse_answers("date,score,objective\n" + rows, "other.csv", "csv").rows
    assert not {a.answer_id for a in first} & {a.answer_id for a in elsewhere}


def test_json_survey_answers() -> None:
    text = '[{"date": "2026-03-01", "score": 10, "objective": "Self-service IT", "comment": "great"}]'
    (answer,) = parse_answers(text, "s.json", "json").rows
    assert (answer.date, answer.score, answer.objective, answer.comment) == (date(2026, 3, 1), 10,
                                                                             "Self-service IT", "great")
