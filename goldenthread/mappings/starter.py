"""The commented starter `goldenthread.yaml` that `goldenthread init` writes.

Tests: tests/mappings/test_config.py
"""

from __future__ import annotations

STARTER_CONFIG = """\
# goldenthread.yaml: how goldenthread reads your Jira and writes your Confluence pages.
# Validate it with `goldenthread check`; list your Jira fields with `goldenthread fields`.

jira:
  # Which issues form the internal-product backlog. Teams only need to add this label.
  backlog_jql: 'labels = internal-product'
  # Status name -> todo | in_progress | done | discarded. Unlisted statuses use Jira's
  # status category (To Do -> todo, In Progress -> in_progress, Done -> done).
  # "discarded" means closed without delivery: it is counted, never ranked or shipped.
  status_overrides: {"Won't Do": discarded}

# Canonical name -> your Jira field's name (or id, e.g. customfield_10016). Leave out what you
# don't have: a missing optional field makes its metric "unavailable", never a crash.
fields:
  reach: Reach
  impact: Impact
  confidence: Confidence        # 0-1, or 0-100 (percent)
  effort: Story Points
  business_value: Business Value
  time_criticality: Time Criticality
  risk_reduction: Risk Reduction
  objective: Objective          # the company goal / OKR this work serves: the golden thread
  stakeholders: Stakeholders    # a multi-user picker goldenthread adds stakeholders to
  target: Target quarter
  team: Team
  adoption: Adoption rate       # share of target users, 0-1 or percent
  satisfaction: Satisfaction    # e.g. internal NPS, -100..100
  release_note: Release note    # optional: the words What's new shows for shipped work (else the summary)

stakeholders:
  write_back: off               # field | watchers | off
  # The power/interest grid. id = accountId (Cloud) or username (Data Center).
  people: []
  #  - {id: "557058:00000000-0000-0000-0000-000000000000", name: Dana (Finance), power: high, interest: high}
  rules:
    - {when: {reporter: true}}  # whoever asked for the work is a stakeholder
  #  - {when: {component: Payroll}, add: ["557058:00000000-0000-0000-0000-000000000000"]}

prioritisation:
  model: rice                   # rice | wsjf | weighted
  weights: {}                   # for `weighted`: canonical field -> weight
  objective_weights: {}         # objective name -> multiplier (default 1.0)
  quick_win_max_effort: 3       # effort at most this is "small" (quick win / fill-in)
  # high_value_min: 500         # value (score before ÷ effort) that counts as high; default: the median
  next_size: 10                 # how many top-scored To Do items form "Next"

outcomes:
  sla_days: {default: 30}       # issue type -> days from created to done

publish:
  space: IPM
  parent: Internal products
  roadmap: Roadmap
  whats_new: What's new
  monthly_report: "Stakeholder report {month}"
  minutes: "Stakeholder meeting {month}: minutes"  # created once under the report, then never written
  later_limit: 20               # Roadmap "Later" items shown per objective; the rest behind a Jira link
  product_by: project           # What's new groups by: project | component | team | a canonical text field
  categories: {Bug: fixed, Improvement: improved, default: new}  # issue type -> new | improved | fixed
  whats_new_months: 3           # months on What's new; older ones move to a page per year
  whats_new_archive: "What's new in {year}"
  on_manual_edit: overwrite     # overwrite | skip (a page a person edited since our last publish)

schedule:                       # used by `goldenthread serve`; external cron can run the CLI instead
  sync: "*/15 * * * *"
  monthly_report: "0 8 1 * *"
"""


def render_starter_config() -> str:
    return STARTER_CONFIG
