"""What's new as release notes: highlights by value, products and categories, release-note text,
durations in words, credits, yearly archives, a cap per month with a Jira search for the rest."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from goldenthread.mappings.config import Config
from goldenthread.mappings.records import Issue, StatusChange, UserRef
from goldenthread.reports import storage as s
from goldenthread.reports.pages import build_page_data, build_whats_new_pages
from goldenthread.reports.format import fmt_duration
from tests.reports.page_fixtures import DANA, OMAR, STATUSES, backlog, config, issue, t

NOW = t("2026-06-03")
PRIYA, SAM, NOA = "557058:cccc1111-2222-3333-4444-555566667777", "sam", "noa"


def _shipped(key: str, summary: str, created: str, done: str, **kw: object) -> tuple[Issue, list[StatusChange]]:
    item = issue(key, summary, "Done", created, updated=done, **kw)
    return item, [StatusChange(key, f"{key}-d", t(done), "In Progress", "Done")]


def _extra() -> tuple[list[Issue], list[StatusChange]]:
    people = (UserRef(PRIYA, "Priya Raman"), UserRef(SAM, "Sam Okafor"), UserRef(NOA, "Noa Levi"),
              UserRef(OMAR, "Omar (IT)"))
    made = [
        # value 500 × 3 × 1 = 1500: the most valuable of May; a release note replaces the summary
        _shipped("IT-7", "VPN cert rotation (internal ticket text)", "2026-04-10", "2026-05-20", issue_type="Story",
                 reach=500, impact=3, confidence=100, effort=8, reporter=UserRef(DANA, "Dana from Jira"),
                 stakeholders=people, release_note="Your VPN certificate now renews itself: no more Monday lockouts."),
        # value 40 × 1 × 0.5 = 20; a Bug: fixed
        _shipped("IT-8", "Laptop swap form loses attachments", "2026-05-12", "2026-05-14", issue_type="Bug",
                 reach=40, impact=1, confidence=50, effort=1, reporter=UserRef(SAM, "Sam Okafor")),
        # unscored: never a highlight; an Improvement
        _shipped("HR-9", "Leave calendar shows public holidays", "2026-01-02", "2026-05-30",
                 issue_type="Improvement", stakeholders=(UserRef(NOA, "Noa Levi"),)),
    ]
    return [i for i, _ in made], [c for _, cs in made for c in cs]


def _pages(as_of=NOW, cfg: Config | None = None, extra=None):  # type: ignore[no-untyped-def]
    issues, changes = backlog()
    more_issues, more_changes = extra if extra is not None else _extra()
    data = build_page_data([*issues, *more_issues], [*changes, *more_changes], STATUSES, cfg or config(), as_of,
                           "cloud")
    return build_whats_new_pages(data)


def _text(node: s.ET.Element) -> str:
    return " ".join(" ".join(node.itertext()).split())


def _blocks(storage: str) -> list[str]:
    """Each top-level block as text: headings, panels (macro parameters included), lists."""
    return [_text(b) for b in s.parse_storage(storage)]


def test_a_month_reads_as_release_notes() -> None:
    (page,) = _pages()
    blocks = _blocks(page.storage)
    may = blocks[blocks.index("May 2026 · 4 shipped"):blocks.index("April 2026 · 1 shipped")]
    # highlights: the valued items by value (IT-7 1500, HR-1 100 × 2 × 0.8 = 160, IT-8 20; HR-9 is
    # unscored), at most half of the month's four items
    assert may[1] == ("Highlights Your VPN certificate now renews itself: no more Monday lockouts. — IT "
                      "Payroll export to CSV — HR")
    # products (the Jira project by default) in name order, categories new / improved / fixed
    assert may[2:] == [
        "HR", "New",
        "Payroll export to CSV — HR-1 · took 3 weeks · for Dana (Finance)",
        "Improved",
        "Leave calendar shows public holidays — HR-9 · took 5 months · for Noa Levi",
        "IT", "New",
        "Your VPN certificate now renews itself: no more Monday lockouts. — IT-7 · took 6 weeks · requested by "
        "Dana (Finance), with Priya Raman, Sam Okafor and 2 more",
        "Fixed",
        "Laptop swap form loses attachments — IT-8 · took 2 days · requested by Sam Okafor",
    ]
    assert "internal ticket text" not in page.storage
    links = {a.text: a.get("href") for a in s.parse_storage(page.storage).iter("a")}
    assert links["IT-7"] == "https://example.atlassian.net/browse/IT-7"


def test_product_by_component_or_team_and_configured_categories() -> None:
    cfg = config()
    publish = cfg.publish.model_copy(update={"product_by": "component",
                                             "categories": {"Story": "improved", "default": "fixed"}})
    (page,) = _pages(cfg=cfg.model_copy(update={"publish": publish}))
    blocks = _blocks(page.storage)
    may = blocks[blocks.index("May 2026 · 4 shipped") + 2:blocks.index("April 2026 · 1 shipped")]
    assert [b for b in may if "—" not in b] == ["Payroll", "Improved", "Other", "Improved", "Fixed"]
    issues, changes = _extra()
    teams = [dataclasses.replace(i, team="People Tech" if i.key.startswith("HR") else None) for i in issues]
    publish = cfg.publish.model_copy(update={"product_by": "team"})
    (page,) = _pages(cfg=cfg.model_copy(update={"publish": publish}), extra=(teams, changes))
    blocks = _blocks(page.storage)
    assert [b for b in blocks if b in ("People Tech", "Other")] == ["People Tech", "Other", "Other"]


def _named(names: dict[str, str | None]) -> tuple[list[Issue], list[StatusChange]]:
    """`_extra()` with the project names Jira gave per issue key (None: synced before the store kept them)."""
    issues, changes = _extra()
    return [dataclasses.replace(i, project_name=names.get(i.key)) for i in issues], changes


def test_products_are_headed_by_the_project_name_jira_gives() -> None:
    # IT-8 and the HR backlog were synced before the store kept names: their project's name
    # comes from the project's other issues, so each project is one product, never two
    (page,) = _pages(extra=_named({"IT-7": "IT Service Desk", "HR-9": "HR Portal"}))
    blocks = _blocks(page.storage)
    may = blocks[blocks.index("May 2026 · 4 shipped"):blocks.index("April 2026 · 1 shipped")]
    assert may[1] == ("Highlights Your VPN certificate now renews itself: no more Monday lockouts. — IT Service Desk "
                      "Payroll export to CSV — HR Portal")
    assert [b for b in may[2:] if "—" not in b] == ["HR Portal", "New", "Improved", "IT Service Desk", "New", "Fixed"]
    assert "HR" not in blocks and "IT" not in blocks
    # a project no stored row names yet (the store before the upgrade) is headed by its key
    (page,) = _pages(extra=_named({"IT-7": "IT Service Desk"}))
    assert [b for b in _blocks(page.storage) if b in ("HR", "IT Service Desk")] == ["HR", "IT Service Desk", "HR"]


def test_a_hostile_project_name_stays_text() -> None:
    evil = "<script>alert(1)</script> {html}<b>x</b>{html} ]]> <ac:structured-macro ac:name=\"html\"/>"
    (benign,) = _pages(extra=_named({"IT-7": "IT Service Desk"}))
    (page,) = _pages(extra=_named({"IT-7": evil}))
    assert s.count_confluence_elements(page.storage) == s.count_confluence_elements(benign.storage)
    assert "<script>" not in page.storage
    blocks = _blocks(page.storage)
    assert evil in blocks  # the product's heading
    (highlights,) = [b for b in blocks if b.startswith("Highlights")]
    assert f"lockouts. — {evil} Payroll" in highlights


def test_older_months_move_to_one_archive_page_per_year() -> None:
    issues, changes = _extra()
    old, old_changes = _shipped("HR-50", "Payslips in PDF", "2025-11-01", "2025-12-05", reach=10, impact=1,
                                confidence=1, effort=1)
    pages = _pages(as_of=t("2026-08-15"), extra=([*issues, old], [*changes, *old_changes]))
    main, y2026, y2025 = pages
    assert [p.title for p in pages] == ["What's new", "What's new in 2026", "What's new in 2025"]
    assert (y2026.key, y2026.parent_title, y2026.grandparent_title) == ("whats_new:2026", "What's new",
                                                                        "Internal products")
    # the window is June..August 2026: nothing shipped then; May and April are in 2026's archive
    assert "Nothing shipped in the last 3 months yet." in _blocks(main.storage)
    linked = [p.get(f"{{{s.RI_NS}}}content-title") for p in s.parse_storage(main.storage).iter(f"{{{s.RI_NS}}}page")]
    assert linked == ["What's new in 2026", "What's new in 2025"]
    assert [b for b in _blocks(y2026.storage) if "shipped" in b and "·" in b] == ["May 2026 · 4 shipped",
                                                                                  "April 2026 · 1 shipped"]
    assert "December 2025 · 1 shipped" in _blocks(y2025.storage) and "Payslips in PDF" in y2025.storage


def test_a_busy_month_shows_the_most_valuable_and_links_to_jira_for_the_rest() -> None:
    made = [_shipped(f"OPS-{n}", f"Change {n}", "2026-05-01", "2026-05-20", reach=n, impact=1, confidence=1,
                     effort=1) for n in range(1, 131)]
    (page,) = _pages(extra=([i for i, _ in made], [c for _, cs in made for c in cs]))
    text = page.storage
    assert "May 2026 · 131 shipped" in _blocks(text)  # HR-1 shipped in May too
    # HR-1 (value 160) and Changes 130..32 are the 100 most valuable
    assert "Change 130<" in text and "Change 32<" in text and "Change 31<" not in text
    (more,) = [a for a in s.parse_storage(text).iter("a") if a.text == "see them in Jira"]
    jql = parse_qs(urlsplit(more.get("href") or "").query)["jql"][0]
    assert jql == ('(labels = internal-product) AND statusCategory = "Done" AND resolved >= "2026-05-01" '
                   'AND resolved < "2026-06-01" ORDER BY resolved DESC')
    assert "… and 31 more shipped in May 2026:" in _text(s.parse_storage(text))


def test_hostile_release_notes_stay_text() -> None:
    issues, changes = _extra()
    evil = "<script>alert(1)</script> {html}<b>x</b>{html} ]]> <ac:structured-macro ac:name=\"html\"/>"
    bad = [dataclasses.replace(i, release_note=evil) for i in issues]
    (benign,), (page,) = _pages(), _pages(extra=(bad, changes))
    assert s.count_confluence_elements(page.storage) == s.count_confluence_elements(benign.storage)
    assert evil in "".join(s.parse_storage(page.storage).itertext())


@pytest.mark.parametrize(("days", "words"), [
    (0.2, "took less than a day"), (1.2, "took a day"), (9.4, "took 9 days"), (10, "took a week"),
    (20, "took 3 weeks"), (55, "took 8 weeks"), (56, "took 2 months"), (364, "took 12 months"),
    (400, "took a year"), (1000, "took 3 years"), (float("nan"), ""),
])  # fmt: skip
def test_durations_in_words(days: float, words: str) -> None:
    assert fmt_duration(days) == words
    assert timedelta(days=1)  # the unit the definitions use: days as floats
