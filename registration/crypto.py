"""Authenticated encryption of evidence at rest and keyed hashing of ID numbers.

Keys come from settings (`SHIMING_EVIDENCE_KEYS`, "key-id:base64-of-32-bytes", the first one
encrypts and every listed one decrypts, so a key can be rotated by putting a new one first and
re-encrypting with `manage.py rotate_evidence_key`). A ciphertext is bound to the record it belongs
to through AES-GCM associated data, so it cannot be moved to another session or kind unnoticed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12


class DecryptionFailed(Exception):
    """The ciphertext was tampered with, moved, or its key is no longer configured."""


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict[str, bytes]


def _parse_keys(entries: tuple[str, ...]) -> Keyring:
    if not entries:
        raise ImproperlyConfigured("SHIMING_EVIDENCE_KEYS is empty: set at least one 'id:base64' key")
    keys: dict[str, bytes] = {}
    for entry in entries:
        key_id, sep, encoded = entry.partition(":")
        if not sep or not key_id:
            raise ImproperlyConfigured("each SHIMING_EVIDENCE_KEYS entry must look like 'key-id:base64'")
        key = base64.b64decode(encoded)
        if len(key) != 32:
            raise ImproperlyConfigured(f"evidence key {key_id!r} must be 32 bytes, got {len(key)}")
        keys[key_id] = key
    return Keyring(current_id=entries[0].partition(":")[0], keys=keys)


@lru_cache(maxsize=4)
def _keyring_for(entries: tuple[str, ...]) -> Keyring:
    return _parse_keys(entries)


def keyring() -> Keyring:
    return _keyring_for(tuple(settings.SHIMING_EVIDENCE_KEYS))


def encrypt(plaintext: bytes, *, associated_data: bytes) -> tuple[str, bytes]:
    """Return (key id, nonce + ciphertext)."""
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.keys[ring.current_id]).encrypt(nonce, plaintext, associated_data)
    return ring.current_id, nonce + sealed


def decrypt(key_id: str, blob: bytes, *, associated_data: bytes) -> bytes:
    ring = keyring()
    key = ring.keys.get(key_id)
    if key is None:
        raise DecryptionFailed(f"evidence key {key_id!r} is not configured")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated_data)
    except InvalidTag as exc:
        raise DecryptionFailed("evidence failed authentication") from exc


def id_number_hash(document_type: str, document_number: str) -> str:
    """Keyed hash of a normalised ID number, for lookups and the per-ID limit."""
    if not document_number.isascii():  # documents.ascii_identifier refuses these before anything is hashed
        raise ValueError("an ID number must be validated (plain ASCII) before it is hashed")
    key = settings.SHIMING_ID_HASH_KEY
    if not key:
        raise ImproperlyConfigured("SHIMING_ID_HASH_KEY is not set")
    message = f"{document_type}:{document_number}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
