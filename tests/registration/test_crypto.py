"""Evidence encryption and the ID-number hash: a ciphertext opens only with its own record's
associated data and an untouched blob; the first configured key encrypts and every listed key
decrypts (rotation); a key that is dropped, malformed or short is refused; the ID hash is keyed and
refuses a number that was not validated first."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from registration import crypto

OLD = "old:" + base64.b64encode(b"o" * 32).decode()
NEW = "new:" + base64.b64encode(b"n" * 32).decode()


def test_a_ciphertext_opens_with_its_own_associated_data_only(settings: Any) -> None:
    settings.SHIMING_EVIDENCE_KEYS = [NEW]
    key_id, blob = crypto.encrypt(b"portrait", associated_data=b"session-1:portrait")

    assert key_id == "new"
    assert b"portrait" not in blob
    assert crypto.decrypt(key_id, blob, associated_data=b"session-1:portrait") == b"portrait"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(key_id, blob, associated_data=b"session-2:portrait")


def test_a_tampered_blob_is_refused(settings: Any) -> None:
    settings.SHIMING_EVIDENCE_KEYS = [NEW]
    key_id, blob = crypto.encrypt(b"portrait", associated_data=b"a")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])

    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(key_id, tampered, associated_data=b"a")


def test_the_first_key_encrypts_and_an_older_listed_key_still_decrypts(settings: Any) -> None:
    settings.SHIMING_EVIDENCE_KEYS = [OLD]
    old_id, old_blob = crypto.encrypt(b"frame", associated_data=b"a")
    settings.SHIMING_EVIDENCE_KEYS = [NEW, OLD]

    assert crypto.encrypt(b"frame", associated_data=b"a")[0] == "new"
    assert crypto.decrypt(old_id, old_blob, associated_data=b"a") == b"frame"

    settings.SHIMING_EVIDENCE_KEYS = [NEW]
    with pytest.raises(crypto.DecryptionFailed, match="not configured"):
        crypto.decrypt(old_id, old_blob, associated_data=b"a")


@pytest.mark.parametrize(
    "keys",
    [
        [],
        ["no-separator"],
        [":" + base64.b64encode(b"k" * 32).decode()],
        ["short:" + base64.b64encode(b"k" * 16).decode()],
    ],
)
def test_a_missing_or_malformed_key_is_a_configuration_error(settings: Any, keys: list[str]) -> None:
    settings.SHIMING_EVIDENCE_KEYS = keys

    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt(b"x", associated_data=b"a")


def test_the_id_hash_is_keyed_and_separates_document_types(settings: Any) -> None:
    settings.SHIMING_ID_HASH_KEY = "one"
    first = crypto.id_number_hash("resident_id", "110101199003077777")

    assert first == crypto.id_number_hash("resident_id", "110101199003077777")
    assert first != crypto.id_number_hash("passport", "110101199003077777")
    settings.SHIMING_ID_HASH_KEY = "two"
    assert first != crypto.id_number_hash("resident_id", "110101199003077777")


def test_the_id_hash_refuses_an_unvalidated_number_or_a_missing_key(settings: Any) -> None:
    settings.SHIMING_ID_HASH_KEY = "one"
    with pytest.raises(ValueError, match="validated"):
        crypto.id_number_hash("resident_id", "\uff11\uff11\uff10")  # full-width digits
    settings.SHIMING_ID_HASH_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        crypto.id_number_hash("resident_id", "110101199003077777")
