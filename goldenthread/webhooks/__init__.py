"""The service: FastAPI receiver, inbox worker, scheduler, status page and /metrics."""
