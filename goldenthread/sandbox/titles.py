"""Issue titles and release notes a real company's internal-product backlog would have.

Every title in a dataset is different: each project's list is dealt out in a seeded order, then
again with qualifiers ("(phase 2)", "for the Berlin office") in a mixed order, and only a backlog
bigger than all of those (the benchmarks') numbers the rest. Bugs get the "Fix ..." titles.

Tests: tests/sandbox/test_dataset.py
"""

from __future__ import annotations

import random
from collections.abc import Iterator

FEATURES: dict[str, tuple[str, ...]] = {
    "HR": (
        "Leave balance on the portal home page", "Leave approval from the phone for managers",
        "Payslips as PDF by email", "Self-service change of bank details",
        "Onboarding checklist for new starters", "Offer letters from the approved template",
        "Interview scheduling with interviewers' calendar availability", "Parental leave request form",
        "Photo upload for expense receipts", "Pension contribution calculator",
        "Electronic signature for employment contracts", "Sick leave notice to the line manager",
        "Probation review reminders for managers", "Org chart search by skill", "Overtime approval workflow",
        "Holiday carry-over rules for part-time staff", "Training record export for the auditors",
        "Exit interview survey", "Referral bonus tracking", "Right-to-work document checks for new hires",
        "Payslip history for the last seven years", "Team absence calendar for managers",
        "Reference requests handled in the portal", "Flexible working request form",
    ),
    "PROC": (
        "Three-way match of supplier invoices", "Purchase order approval limits by cost centre",
        "Supplier onboarding questionnaire", "Contract renewal reminders 90 days ahead",
        "Spend dashboard by department", "Preferred supplier catalogue search",
        "Call-back check on supplier bank detail changes", "Punch-out catalogue for office supplies",
        "Duplicate invoice check before payment", "Sanctions screening for new suppliers",
        "Budget check before a purchase order is submitted", "Framework agreement register",
        "Quotes from three suppliers above the tender threshold", "Goods receipt confirmation from the phone",
        "Supplier performance scorecard", "Approval delegation during holidays",
        "Catalogue prices refreshed every night", "Sustainability rating on supplier profiles",
        "Credit card statements matched to receipts", "Purchase requests for recurring services",
    ),
    "ITSD": (
        "Self-service password reset", "Laptop request with manager approval", "VPN access request form",
        "Software catalogue with a licence check", "Quarterly access reviews for finance systems",
        "Equipment bundle ready on a new joiner's first day", "Printer troubleshooting guide in the portal",
        "Multi-factor authentication enrolment assistant", "Lost or stolen device reporting",
        "Guest Wi-Fi vouchers from reception", "Shared mailbox request workflow",
        "Meeting room display booking", "Leaver checklist that removes every access",
        "Mobile phone contract upgrades", "Known-issue banner on the service desk page",
        "Satisfaction survey after each closed ticket", "Monitor loan scheme for home working",
        "Admin rights requests with an expiry date", "Knowledge base search in the request form",
        "Out-of-hours support rota in the portal",
    ),
    "PLAT": (
        "One-click deploys for internal apps", "90-day log retention policy", "Single sign-on for internal apps",
        "On-call alert routing by service", "Automatic secrets rotation", "Service catalogue with named owners",
        "Uptime dashboard for the HR portal", "Monthly database restore test", "Kubernetes cluster upgrade",
        "Cloud cost report per team", "Rate limits on the internal API gateway", "Preview environments per pull request",
        "Error budget alerts for tier-1 services", "Central audit log for admin actions",
        "Dependency update bot for every repository", "Shared design system for internal apps",
        "Feature flags service", "Synthetic checks for the login flow", "Container image scanning in CI",
        "Runbooks linked from every alert",
    ),
}
FIXES: dict[str, tuple[str, ...]] = {
    "HR": (
        "Fix payslip PDF cut off on A4 printers", "Fix duplicate leave requests after a double click",
        "Fix time zone shift in the shift rota", "Fix the org chart missing contractors",
        "Fix holiday balance rounding for part-time staff", "Fix onboarding emails sent twice",
        "Fix expense totals in foreign currencies", "Fix the leave calendar hiding public holidays",
    ),
    "PROC": (
        "Fix VAT rounding on multi-line invoices", "Fix purchase orders stuck in approval after a manager leaves",
        "Fix supplier search ignoring accents", "Fix the spend dashboard double-counting credit notes",
        "Fix invoice upload failing above 10 MB", "Fix renewal reminders going to former contract owners",
    ),
    "ITSD": (
        "Fix ticket emails landing in spam", "Fix the VPN form rejecting valid cost centres",
        "Fix password reset links expiring too early", "Fix laptop requests losing attachments",
        "Fix the software catalogue showing retired versions", "Fix access reviews listing disabled accounts",
    ),
    "PLAT": (
        "Fix flaky integration tests in CI", "Fix log shipping gaps after node restarts",
        "Fix single sign-on loop in Safari", "Fix alert storms during deploys",
        "Fix stale DNS after failover", "Fix build cache misses on the main branch",
    ),
}
QUALIFIERS: tuple[str, ...] = (
    "(phase 2)", "for the Berlin office", "in the mobile app", "for contractors", "for the Singapore office",
    "(phase 3)", "for the US entities", "for the finance team",
)
NOTE_ENDINGS: tuple[str, ...] = ("is now available to everyone in {product}.", "is live in {product} from today.",
                               "is now part of {product}.")


class TitleDealer:
    """Deals distinct titles per project and kind (feature or fix), in a seeded order."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed * 7919 + 17)  # its own stream: the backlog's draws stay as they were
        self._decks: dict[tuple[str, bool], Iterator[str]] = {}
        self._seen: set[str] = set()

    def _deck(self, project: str, fix: bool) -> Iterator[str]:
        base = list((FIXES if fix else FEATURES)[project])
        self.rng.shuffle(base)
        yield from base
        qualified = [f"{title} {qualifier}" for qualifier in QUALIFIERS for title in base]
        self.rng.shuffle(qualified)  # mixed, so no qualifier runs through a stretch of the backlog
        yield from qualified
        n = 2
        while True:
            yield from (f"{title} (#{n})" for title in base)
            n += 1

    def deal(self, project: str, fix: bool) -> str:
        deck = self._decks.setdefault((project, fix), self._deck(project, fix))
        title = next(deck)
        while title in self._seen:  # the lists do not overlap today; this keeps it so if they do
            title = next(deck)
        self._seen.add(title)
        return title


def build_release_note(rng: random.Random, title: str, product: str) -> str:
    """A line for the company: what changed, where (plain wiki text, as people type it)."""
    if title.startswith("Fix "):
        return f"Fixed in {product}: {title[4:]}."
    return f"{title} {rng.choice(NOTE_ENDINGS).format(product=product)}"
