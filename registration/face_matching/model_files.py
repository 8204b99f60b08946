"""The model files the matchers need, pinned to their vendors' addresses and SHA-384 checksums.

Nothing here runs at request time and nothing is ever fetched by the product while it serves:
``make models`` calls this module's command line on a machine with internet access (or
``make models MODELS_FROM=DIR`` on an air-gapped one) before the product starts, and the Docker
image calls the same target at build time. A file is written under its final name only after its
checksum matched; a file that does not match is refused with a message naming it, and removed.

The addresses and SHA-384 checksums are Intel's own, copied from each model's ``model.yml`` in
the Open Model Zoo 2023.0 release (FP16 IR); YuNet's from the shared models' MANIFEST.csv. This
module imports nothing of Django, so the image build and the settings check can both use it.

    python -m registration.face_matching.model_files [--from DIR] [--dest DIR] [--base-url URL]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

OMZ_BASE = "https://storage.openvinotoolkit.org/repositories/open_model_zoo/2023.0/models_bin/1/"
DOWNLOAD_TIMEOUT_SECONDS = 60
CHUNK = 1 << 16


@dataclass(frozen=True)
class ModelFile:
    """One file: where it lives in the models folder, its official address, its SHA-384 and size."""

    path: str  # relative to the models folder (the same layout as ../shared/models)
    url: str
    sha384: str
    size: int


def _omz(model: str, name: str, sha384: str, size: int) -> ModelFile:
    return ModelFile(f"omz/{model}/FP16/{name}", f"{OMZ_BASE}{model}/FP16/{name}", sha384, size)


REIDENTIFICATION = "face-reidentification-retail-0095"
LANDMARKS = "landmarks-regression-retail-0009"
DETECTION = "face-detection-retail-0004"

CATALOGUE: tuple[ModelFile, ...] = (
    _omz(
        REIDENTIFICATION,
        f"{REIDENTIFICATION}.xml",
        "689fb39e94bbd0d22cfeeb9292d0b91ac753424a7ee2c0555070e4038a00bfcaad473b47303012b9a393027dbad0dbce",
        350427,
    ),
    _omz(
        REIDENTIFICATION,
        f"{REIDENTIFICATION}.bin",
        "6d51703e854509dafdab9dfc6b932136d301d95be6d52c9c23b5a4f5de1ffec80e8d38b87e0e9556ad36f0dded1588ed",
        2213628,
    ),
    _omz(
        LANDMARKS,
        f"{LANDMARKS}.xml",
        "393eda465df2a886f7edd932e2f1cd6930ae91f85708f91b4cd60e411acfb86e9de9e083907901208e9e8af639846572",
        66508,
    ),
    _omz(
        LANDMARKS,
        f"{LANDMARKS}.bin",
        "0e6e830387f56783de313e0f7022b7808fd2e9e0b28b411a65608e2c1df0bcf939c65fb699fc51868df30232d6308515",
        381232,
    ),
    _omz(
        DETECTION,
        f"{DETECTION}.xml",
        "a7f8d1d41998503c4f3cdd8c12275f04f1736e5142127edcb4c76c3e17188499390574095a5b2a9dd78d3d0f77d02034",
        143827,
    ),
    _omz(
        DETECTION,
        f"{DETECTION}.bin",
        "394185d3e42c34d7f9d43229ec8f5755c07e19fd6469d23883e71707fdd8eb66d90cbd62248db90ff3ba1c94adac599b",
        1176544,
    ),
    ModelFile(
        "yunet/face_detection_yunet_2026may.onnx",
        "https://raw.githubusercontent.com/RuDr8A/RealTime-PPE-Compliance/"
        "d876a822bbb20180b9ed7850c1d3229d72883067/face_detection_yunet_2026may.onnx",
        "8e7c6a2858285c7388ba2067ff7d362e738aeadd3b019a9b01dc6524c5192dea455ee850cd4a880543307748be4f75a4",
        229738,
    ),
)


class ModelFileError(Exception):
    """A model file could not be installed; the message names the file and what to do."""


def file_sha384(path: Path) -> str:
    digest = hashlib.sha384()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def missing_files(models_dir: Path, wanted: Iterable[str]) -> list[str]:
    """The wanted catalogue paths that are not in ``models_dir`` with the pinned size (cheap, no hashing)."""
    by_path = {entry.path: entry for entry in CATALOGUE}
    missing = []
    for relative in wanted:
        target = models_dir / relative
        if not target.is_file() or target.stat().st_size != by_path[relative].size:
            missing.append(relative)
    return missing


def _verify_into(staged: Path, entry: ModelFile, target: Path, origin: str) -> None:
    """Move ``staged`` to ``target`` if its SHA-384 is the pinned one; otherwise delete it and refuse."""
    actual = file_sha384(staged)
    if actual != entry.sha384:
        staged.unlink(missing_ok=True)
        target.unlink(missing_ok=True)  # never leave an older, unverified copy in its place either
        raise ModelFileError(
            f"{entry.path}: refused, its SHA-384 does not match the pinned checksum "
            f"(from {origin}: got {actual[:16]}..., expected {entry.sha384[:16]}...). "
            f"The file is damaged or not the vendor's: fetch it again from {entry.url}"
        )
    staged.replace(target)


def install_from_folder(source: Path, dest: Path, entries: Sequence[ModelFile] = CATALOGUE) -> list[str]:
    """Verify each file of ``source`` (same layout) and copy it into ``dest``; returns the paths installed."""
    installed = []
    for entry in entries:
        origin = source / entry.path
        if not origin.is_file():
            raise ModelFileError(f"{entry.path}: not found in {source} (expected {origin})")
        target = dest / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(target.name + ".partial")
        shutil.copyfile(origin, staged)
        _verify_into(staged, entry, target, str(origin))
        installed.append(entry.path)
    return installed


def download(dest: Path, entries: Sequence[ModelFile] = CATALOGUE, *, base_url: str | None = None) -> list[str]:
    """Fetch each file from its pinned address (or the same path under ``base_url``, a mirror)."""
    installed = []
    for entry in entries:
        url = entry.url if base_url is None else _mirrored(entry.url, base_url)
        target = dest / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_file() and file_sha384(target) == entry.sha384:
            installed.append(entry.path)
            continue
        staged = target.with_name(target.name + ".partial")
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response, staged.open("wb") as out:  # noqa: S310 - pinned https addresses
                shutil.copyfileobj(response, out, CHUNK)
        except (urllib.error.URLError, OSError) as error:
            staged.unlink(missing_ok=True)
            raise ModelFileError(f"{entry.path}: could not be downloaded from {url}: {error}") from error
        _verify_into(staged, entry, target, url)
        installed.append(entry.path)
    return installed


def _mirrored(url: str, base_url: str) -> str:
    """The same path as ``url`` on another host (a mirror, or a test server)."""
    path = url.split("://", 1)[1].split("/", 1)[1]
    return base_url.rstrip("/") + "/" + path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Install the face model files, verified by SHA-384.")
    parser.add_argument("--dest", type=Path, default=Path("var/models"), help="the models folder (SHIMING_MODELS_DIR)")
    parser.add_argument("--from", dest="source", type=Path, help="copy from this folder instead of downloading")
    parser.add_argument("--base-url", help="download from this mirror (same paths as the vendors' addresses)")
    options = parser.parse_args(argv)
    try:
        if options.source is not None:
            installed = install_from_folder(options.source, options.dest)
        else:
            installed = download(options.dest, base_url=options.base_url)
    except ModelFileError as error:
        print(f"models: {error}", file=sys.stderr)
        return 1
    print(f"models: {len(installed)} files verified (SHA-384) in {options.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
