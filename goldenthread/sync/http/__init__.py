"""HTTP for every Atlassian call: the transport (requests over httpx), retries, error classes."""
