"""Jira: reads (search, census, changelogs), ingest into the store, stakeholder write-back, field check."""
