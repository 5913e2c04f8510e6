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
  objective_weights: {}         # objective name -> multiplier (default 1.0); a weight under goals: wins
  quick_win_max_effort: 3       # effort at most this is "small" (quick win / fill-in)
  # high_value_min: 500         # value (score before ÷ effort) that counts as high; default: the median
  next_size: 10                 # how many top-scored To Do items form "Next"

# The golden thread: company goal -> objectives -> KPIs -> work. Objective names are options of
# the Jira field mapped as `objective` (`goldenthread check` compares them). A KPI goes from its
# baseline to its target (a target below the baseline means lower is better); its readings come
# from outcomes.measurements. Uncomment the example and make it yours.
goals: []
# goals:
#   - name: Hire faster
#     objectives:
#       - name: Cut time-to-hire
#         weight: 1.5               # ranking multiplier for the work serving it (default 1.0)
#         owner: "557058:00000000-0000-0000-0000-000000000000"   # a person of stakeholders.people
#         kpis:
#           - name: Offer approval time
#             unit: days
#             baseline: {value: 5, date: 2026-01-01}
#             target: {value: 2, date: 2027-03-31}

outcomes:
  sla_days: {default: 30}       # issue type -> days from created to done
  # Read on every sync: a local path (relative to this file) or an https URL. A bad row is
  # reported with its file and line and skipped; an unreachable source keeps the stored values.
  measurements: []              # KPI readings: CSV with header kpi,date,value, or JSON [{kpi,date,value}]
  #   - {path: kpis.csv}
  surveys: []                   # survey answers (0-10): CSV date,score,objective[,comment], or JSON
  #   - {path: "https://surveys.example.com/export/internal-products.json"}

publish:
  space: IPM
  parent: Internal products
  roadmap: Roadmap
  whats_new: What's new
  goals: Goals                  # goals, objectives, KPIs and the work serving each
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
