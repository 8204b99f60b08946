"""The outlet's card-reader agent: runs on the outlet PC beside the ID card reader, polls the server for
chip reads the clerk asked for, reads the card and sends the read signed with the reader's own key.

    python -m registration.reader_agent keygen --key reader.key      # prints the public key to enrol
    python -m registration.reader_agent run --server https://... --reader-id UUID --key reader.key \\
        --simulate card.json                                          # or a vendor device, see below

No Django here: the agent needs only this module, ``reader_protocol`` and the ``cryptography``
package. The seam for a real reader is ``CardReaderDevice``: a vendor SDK (a certified
second-generation ID card reader's library) is wrapped in one subclass whose ``read_card`` returns
the chip's ``ChipData`` or raises ``ChipUnreadable``; ``SimulatedReader`` is the one for tests and
demos, reading a JSON file (``full_name``, ``document_type``, ``document_number``, ``birth_date``,
``portrait`` path).
"""

from __future__ import annotations

import abc
import argparse
import base64
import json
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, load_pem_private_key

from .reader_protocol import POLL_PROTOCOL, READ_PROTOCOL, portrait_digest, public_key_hex, sign

Post = Callable[[str, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class ChipData:
    """What a card's chip holds that the registration needs."""

    document_type: str
    full_name: str
    document_number: str
    birth_date: str
    """ISO date, YYYY-MM-DD."""
    portrait_jpeg: bytes


class ChipUnreadable(Exception):
    """The reader found no card, or could not read or authenticate its chip."""


class CardReaderDevice(abc.ABC):
    """The seam for a vendor's reader SDK: one subclass per reader model."""

    @abc.abstractmethod
    def read_card(self) -> ChipData:
        """Read the card on the reader now; ``ChipUnreadable`` with the reason when it cannot."""


class SimulatedReader(CardReaderDevice):
    """A reader that returns the card described by a JSON file (tests, demos), or fails if it says so."""

    def __init__(self, card_file: Path) -> None:
        self.card_file = card_file

    def read_card(self) -> ChipData:
        card = json.loads(self.card_file.read_text())
        if card.get("unreadable"):
            raise ChipUnreadable(str(card["unreadable"]))
        portrait = (self.card_file.parent / card["portrait"]).read_bytes()
        return ChipData(card["document_type"], card["full_name"], card["document_number"], card["birth_date"], portrait)


def http_post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST JSON, return the JSON answer (also for a 4xx: the server's refusal says why)."""
    request = urllib.request.Request(  # noqa: S310 - the operator's configured server URL
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read())
    except urllib.error.HTTPError as error:
        answer = json.loads(error.read() or b"{}")
    return answer


class ReaderAgent:
    """Polls the server for the reader's open chip-read requests and answers each with a signed read."""

    def __init__(
        self, *, server: str, reader_id: str, key: Ed25519PrivateKey, device: CardReaderDevice, post: Post = http_post
    ) -> None:
        self.server, self.reader_id, self.key, self.device, self.post = server.rstrip("/"), reader_id, key, device, post

    def pending(self) -> list[dict[str, str]]:
        poll = {"protocol": POLL_PROTOCOL, "reader_id": self.reader_id, "time": int(time.time())}
        answer = self.post(f"{self.server}/api/readers/poll/", {"poll": poll, "signature": sign(self.key, poll)})
        return list(answer.get("requests", []))

    def answer(self, request: dict[str, str]) -> dict[str, Any]:
        """Read the card for one request and send the signed read (or the signed failure)."""
        read: dict[str, Any] = {
            "protocol": READ_PROTOCOL,
            "reader_id": self.reader_id,
            "session_id": request["session_id"],
            "nonce": request["nonce"],
            "status": "read",
            "reason": "",
        }
        try:
            chip = self.device.read_card()
        except ChipUnreadable as exc:
            portrait = b""
            read.update(status="unreadable", reason=str(exc)[:60], document_type="", full_name="")
            read.update(document_number="", birth_date="", portrait_sha256="")
        else:
            portrait = chip.portrait_jpeg
            read.update(document_type=chip.document_type, full_name=chip.full_name)
            read.update(document_number=chip.document_number, birth_date=chip.birth_date)
            read.update(portrait_sha256=portrait_digest(portrait))
        body = {"read": read, "portrait": base64.b64encode(portrait).decode(), "signature": sign(self.key, read)}
        return self.post(f"{self.server}/api/readers/reads/", body)

    def run_once(self) -> list[dict[str, Any]]:
        return [self.answer(request) for request in self.pending()]


def load_key(path: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SystemExit(f"{path} is not an Ed25519 private key")
    return key


def keygen(path: Path) -> str:
    """Write a new private key (PEM, mode 0600) and return the public key to enrol in the admin."""
    key = Ed25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    path.chmod(0o600)
    return public_key_hex(key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reader_agent", description=__doc__.split("\n")[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("keygen").add_argument("--key", type=Path, required=True)
    run = commands.add_parser("run")
    run.add_argument("--server", required=True)
    run.add_argument("--reader-id", required=True)
    run.add_argument("--key", type=Path, required=True)
    run.add_argument("--simulate", type=Path, required=True, help="JSON card file (the simulated reader)")
    run.add_argument("--once", action="store_true")
    run.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args(argv)
    if args.command == "keygen":
        print(keygen(args.key))
        return 0
    agent = ReaderAgent(
        server=args.server, reader_id=args.reader_id, key=load_key(args.key), device=SimulatedReader(args.simulate)
    )
    while True:
        for answer in agent.run_once():
            print(json.dumps(answer), flush=True)
        if args.once:
            return 0
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
