"""Webhook signatures (pure): `X-Hub-Signature: sha256=<hex>` = HMAC-SHA256 of the raw body.

Jira Cloud/DC sign with the secret set on the webhook; the digest covers the exact bytes on the
wire, so it must be checked before the body is parsed or re-serialised."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def build_signature(secret: str, body: bytes) -> str:
    """The header value Jira sends for `body` signed with `secret`."""
    return PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def compute_signature_valid(secret: str, header: str | None, body: bytes) -> bool:
    """True when `header` is a correct signature of `body`; constant-time compare."""
    if not header or not header.startswith(PREFIX):
        return False
    expected = build_signature(secret, body)
    # compare_digest on bytes: a str with non-ASCII characters would raise TypeError instead
    return hmac.compare_digest(expected.encode("ascii"), header.strip().lower().encode("utf-8", "replace"))


def compute_body_hash(body: bytes) -> str:
    """Dedupe key for deliveries without X-Atlassian-Webhook-Identifier."""
    return "sha256:" + hashlib.sha256(body).hexdigest()
