"""I/O layer: HTTP transport, Jira and Confluence clients, the store, sync / publish / report runs."""
