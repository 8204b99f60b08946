"""The card reader's signed messages: a signature covers the message's canonical form (so key
order and spacing do not matter, every field does), verifies only under the signer's public key,
and anything malformed (key, signature) is a refusal, never an exception."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registration.reader_protocol import (
    READ_PROTOCOL,
    canonical,
    public_key_hex,
    sign,
    valid_public_key,
    verify,
)

READ = {"protocol": READ_PROTOCOL, "reader_id": 7, "session_id": "s-1", "nonce": "n-1", "full_name": "张三"}


def test_the_canonical_form_ignores_key_order_and_keeps_unicode() -> None:
    assert canonical(READ) == canonical(dict(reversed(list(READ.items()))))
    assert "张三".encode() in canonical(READ)
    assert b" " not in canonical({"a": 1, "b": [1, 2]})


def test_a_signature_verifies_under_its_own_key_and_for_its_own_message_only() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    signature = sign(key, READ)

    assert verify(public_key_hex(key), dict(reversed(list(READ.items()))), signature)
    assert not verify(public_key_hex(other), READ, signature)
    assert not verify(public_key_hex(key), {**READ, "session_id": "s-2"}, signature)
    assert not verify(public_key_hex(key), {**READ, "extra": ""}, signature)


def test_malformed_keys_and_signatures_are_refusals() -> None:
    key = Ed25519PrivateKey.generate()
    signature = sign(key, READ)

    assert not verify("not hex", READ, signature)
    assert not verify(public_key_hex(key)[:-2], READ, signature)
    assert not verify(public_key_hex(key), READ, "***")
    assert not verify(public_key_hex(key), READ, base64.b64encode(b"short").decode())


def test_a_public_key_is_64_hexadecimal_characters() -> None:
    assert valid_public_key(public_key_hex(Ed25519PrivateKey.generate()))
    assert not valid_public_key("ab" * 31)
    assert not valid_public_key("zz" * 32)
