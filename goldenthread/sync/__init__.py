"""I/O layer: Atlassian clients, transport, store, sync runs, publisher, scheduler, CLI, sandbox."""
