"""Webhook signatures against published HMAC-SHA256 vectors (RFC 4231), and what is refused."""

from __future__ import annotations

import pytest

from goldenthread.webhooks.signature import build_signature, compute_body_hash, compute_signature_valid

# RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?"
KEY, DATA = "Jefe", b"what do ya want for nothing?"
DIGEST = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def test_signature_is_the_hmac_sha256_of_the_raw_body_with_jiras_prefix() -> None:
    assert build_signature(KEY, DATA) == f"sha256={DIGEST}"


@pytest.mark.parametrize("header", [f"sha256={DIGEST}", f"sha256={DIGEST.upper()}", f"sha256={DIGEST} "])
def test_a_correct_signature_is_accepted_whatever_its_hex_case_or_trailing_space(header: str) -> None:
    assert compute_signature_valid(KEY, header, DATA)


@pytest.mark.parametrize(
    ("secret", "header", "body"),
    [
        (KEY, None, DATA),  # no header
        (KEY, "", DATA),
        (KEY, DIGEST, DATA),  # the digest without its prefix
        (KEY, f"sha1={DIGEST}", DATA),
        ("jefe", f"sha256={DIGEST}", DATA),  # another secret
        (KEY, f"sha256={DIGEST}", DATA + b" "),  # one byte more on the wire
        (KEY, f"sha256={DIGEST[:-1]}", DATA),
        (KEY, f"sha256={DIGEST[:-1]}é", DATA),  # non-ASCII: refused, not a TypeError
    ],
)
def test_anything_else_is_refused(secret: str, header: str | None, body: bytes) -> None:
    assert not compute_signature_valid(secret, header, body)


def test_body_hash_is_the_sha256_of_the_bytes() -> None:
    assert compute_body_hash(b"") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert compute_body_hash(b"{}") != compute_body_hash(b"{ }")
