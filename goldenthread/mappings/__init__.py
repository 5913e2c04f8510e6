"""Pure layer: config schema, Jira JSON -> canonical records, stakeholder rules. No I/O, no pandas."""
