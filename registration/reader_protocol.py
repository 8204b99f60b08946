"""The protocol an outlet's card-reader agent speaks with the server (no Django: the agent imports it).

A reader is enrolled at one outlet with the public half of its own Ed25519 key (the admin's "card
readers"). The agent keeps the private half on the outlet PC. Every message it sends is a JSON object
signed over its canonical form (sorted keys, no spaces, UTF-8):

- a poll, ``{"protocol": POLL_PROTOCOL, "reader_id", "time"}`` (``time`` within ``POLL_CLOCK_SKEW``
  seconds of the server's clock): the server answers with the chip-read requests open at the reader's
  outlet, each a session id and a single-use nonce the clerk's page asked for;
- a chip read, ``{"protocol": READ_PROTOCOL, "reader_id", "session_id", "nonce", "status",
  "document_type", "full_name", "document_number", "birth_date", "portrait_sha256", "reason"}``,
  sent with the chip's portrait (JPEG, base64) whose SHA-256 it names. ``status`` is ``read``, or
  ``unreadable`` with a ``reason`` when the card's chip could not be read (the case then goes to a
  supervisor).

The server accepts a read only when the reader is enrolled at the session's outlet and not revoked,
the signature verifies, and the nonce is the one issued for that session, unexpired and unused: a
forged, replayed, revoked-reader, other-outlet or other-session read is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

POLL_PROTOCOL = "shiming-reader-poll/1"
READ_PROTOCOL = "shiming-chip-read/1"
POLL_CLOCK_SKEW = 60
READ_FIELDS = frozenset(
    {
        "protocol",
        "reader_id",
        "session_id",
        "nonce",
        "status",
        "document_type",
        "full_name",
        "document_number",
        "birth_date",
        "portrait_sha256",
        "reason",
    }
)


def canonical(message: dict[str, Any]) -> bytes:
    return json.dumps(message, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(private_key: Ed25519PrivateKey, message: dict[str, Any]) -> str:
    return base64.b64encode(private_key.sign(canonical(message))).decode()


def verify(public_key_hex: str, message: dict[str, Any], signature_b64: str) -> bool:
    """Whether ``signature_b64`` is the key's signature of ``message``; False on any malformed part."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        key.verify(base64.b64decode(signature_b64, validate=True), canonical(message))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def valid_public_key(public_key_hex: str) -> bool:
    """Whether the text is an Ed25519 public key: 32 bytes, 64 hexadecimal characters."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
    except ValueError:
        return False
    return True


def public_key_hex(private_key: Ed25519PrivateKey) -> str:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def portrait_digest(portrait: bytes) -> str:
    return hashlib.sha256(portrait).hexdigest()
