"""Secret redaction for logs and errors: one process-wide Redactor every session registers with.

Tests: tests/sync/http/test_transport.py
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus


class SecretValue(str):
    """A header value whose repr hides it (headers dicts end up in reprs and debuggers)."""

    def __repr__(self) -> str:
        return "'***'"


class Redactor:
    """Replaces known secrets, auth header values and secret-looking query params with ***."""

    MASK = "***"
    _QUERY = re.compile(
        r"(?i)([?&;]|\b)((?:api_?)?token|access_token|password|passwd|secret|jwt|signature)=([^&\s#'\"]+)"
    )
    # Only in an Authorization context, so "basic settings" in a message stays readable.
    _AUTH = re.compile(r"(?i)(authorization['\"]?\s*[:=,]\s*['\"]?(?:basic|bearer)\s+)[^\s'\",}]+")

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        variants: set[str] = set(self._secrets)
        for secret in secrets:
            # Very short values would mask ordinary words; no real token is that short.
            if not secret or len(secret) < 4:
                continue
            variants.update({secret, quote(secret, safe=""), quote_plus(secret)})
        with self._lock:
            self._secrets = tuple(sorted(variants, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, self.MASK)
        text = self._QUERY.sub(lambda m: f"{m.group(1)}{m.group(2)}={self.MASK}", text)
        return self._AUTH.sub(lambda m: f"{m.group(1)}{self.MASK}", text)

    def scrub_record(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as usual
            return
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)


class RedactingFilter(logging.Filter):
    """Scrubs secrets from records passing a handler or logger; never drops a record."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        self.redactor.scrub_record(record)
        return True


_REDACTOR = Redactor()
_FACTORY_LOCK = threading.Lock()
_factory_installed = False


def get_redactor() -> Redactor:
    """The process-wide redactor every session registers its secrets with."""
    return _REDACTOR


def install_redaction(secrets: Iterable[str]) -> Redactor:
    """Register secrets and scrub them from every log record of every logger.

    A filter on a logger does not see records of its child loggers, so the scrubbing is done in a
    chained LogRecord factory (runs for every enabled record, before any handler, caplog included);
    a RedactingFilter is also put on the root handlers for records built elsewhere.
    """
    global _factory_installed
    _REDACTOR.add(secrets)
    with _FACTORY_LOCK:
        if not _factory_installed:
            previous = logging.getLogRecordFactory()

            def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                _REDACTOR.scrub_record(record)
                return record

            logging.setLogRecordFactory(factory)
            _factory_installed = True
        for handler in logging.getLogger().handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter(_REDACTOR))
    return _REDACTOR


__all__ = ["RedactingFilter", "Redactor", "get_redactor", "install_redaction"]
