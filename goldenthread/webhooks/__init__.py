"""FastAPI receiver, worker, status page and /metrics."""
