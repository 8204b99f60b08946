"""The model step: files verified by their pinned SHA-384 before they are installed, from a folder or
downloaded from the vendors' addresses (here a loopback HTTP server serving the shared files under
Intel's and the YuNet source's URL paths). A damaged or missing file is refused with its name."""

from __future__ import annotations

import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from registration.face_matching import model_files
from registration.face_matching.model_files import CATALOGUE, ModelFileError, file_sha384

REIDENTIFICATION_BIN = "omz/face-reidentification-retail-0095/FP16/face-reidentification-retail-0095.bin"


@pytest.fixture(scope="session")
def shared_models(testdata: Path) -> Path:
    """../shared/models, beside the shared test data (SHIMING_MODELS_FROM when set elsewhere)."""
    folder = Path(os.environ.get("SHIMING_MODELS_FROM", testdata.parent / "models"))
    assert (folder / "MANIFEST.csv").is_file(), f"the shared models are needed at {folder} (SHIMING_MODELS_FROM)"
    return folder


def corrupted_copy(source: Path, target: Path) -> None:
    """The file with one byte changed in the middle (same size: only the checksum can tell)."""
    data = bytearray(source.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))


def folder_like(shared: Path, root: Path, *, corrupt: str = "", leave_out: str = "") -> Path:
    """A copy of the shared models' layout (links), with one file corrupted or left out."""
    for entry in CATALOGUE:
        target = root / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry.path == leave_out:
            continue
        if entry.path == corrupt:
            corrupted_copy(shared / entry.path, target)
        else:
            target.symlink_to(shared / entry.path)
    return root


def test_the_pinned_checksums_are_those_of_the_shared_files(shared_models: Path) -> None:
    for entry in CATALOGUE:
        assert file_sha384(shared_models / entry.path) == entry.sha384, entry.path
        assert (shared_models / entry.path).stat().st_size == entry.size, entry.path


def test_files_from_a_folder_are_verified_and_installed(shared_models: Path, tmp_path: Path) -> None:
    installed = model_files.install_from_folder(shared_models, tmp_path / "models")

    assert installed == [entry.path for entry in CATALOGUE]
    assert file_sha384(tmp_path / "models" / REIDENTIFICATION_BIN) == CATALOGUE[1].sha384
    assert not list((tmp_path / "models").rglob("*.partial"))


def test_a_file_with_the_wrong_checksum_is_refused_and_not_left_installed(shared_models: Path, tmp_path: Path) -> None:
    source = folder_like(shared_models, tmp_path / "source", corrupt=REIDENTIFICATION_BIN)
    dest = tmp_path / "models"
    (dest / REIDENTIFICATION_BIN).parent.mkdir(parents=True)
    (dest / REIDENTIFICATION_BIN).write_bytes(b"an older unverified copy")

    with pytest.raises(ModelFileError, match=r"face-reidentification-retail-0095\.bin: refused, its SHA-384"):
        model_files.install_from_folder(source, dest)

    assert not (dest / REIDENTIFICATION_BIN).exists()
    assert not list(dest.rglob("*.partial"))


def test_a_missing_file_is_refused_with_its_name(shared_models: Path, tmp_path: Path) -> None:
    source = folder_like(shared_models, tmp_path / "source", leave_out=REIDENTIFICATION_BIN)

    with pytest.raises(ModelFileError, match=r"face-reidentification-retail-0095\.bin: not found"):
        model_files.install_from_folder(source, tmp_path / "models")


# --- downloads from the pinned addresses (a loopback server under the same URL paths) -------------


def url_path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1]


def served_tree(shared: Path, root: Path, *, corrupt: str = "", leave_out: str = "") -> Path:
    """The shared files laid out under the URL paths of their pinned addresses."""
    for entry in CATALOGUE:
        target = root / url_path(entry.url)
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry.path == leave_out:
            continue
        if entry.path == corrupt:
            corrupted_copy(shared / entry.path, target)
        else:
            shutil.copyfile(shared / entry.path, target)
    return root


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """(folder served, its base URL): a real HTTP server on the loopback interface."""
    root = tmp_path / "served"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_download_installs_every_file_it_verified(
    shared_models: Path, mirror: tuple[Path, str], tmp_path: Path
) -> None:
    root, base_url = mirror
    served_tree(shared_models, root)

    installed = model_files.download(tmp_path / "models", base_url=base_url)

    assert len(installed) == len(CATALOGUE)
    for entry in CATALOGUE:
        assert file_sha384(tmp_path / "models" / entry.path) == entry.sha384


def test_a_downloaded_file_with_the_wrong_checksum_is_refused(
    shared_models: Path, mirror: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, base_url = mirror
    served_tree(shared_models, root, corrupt=REIDENTIFICATION_BIN)

    status = model_files.main(["--dest", str(tmp_path / "models"), "--base-url", base_url])

    assert status == 1
    assert "face-reidentification-retail-0095.bin: refused, its SHA-384 does not match" in capsys.readouterr().err
    assert not (tmp_path / "models" / REIDENTIFICATION_BIN).exists()
    assert not list((tmp_path / "models").rglob("*.partial"))


def test_a_file_missing_from_the_server_is_a_clear_error(
    shared_models: Path, mirror: tuple[Path, str], tmp_path: Path
) -> None:
    root, base_url = mirror
    served_tree(shared_models, root, leave_out=REIDENTIFICATION_BIN)

    with pytest.raises(ModelFileError, match=r"face-reidentification-retail-0095\.bin: could not be downloaded.*404"):
        model_files.download(tmp_path / "models", base_url=base_url)

    assert not (tmp_path / "models" / REIDENTIFICATION_BIN).exists()


def test_the_pinned_addresses_are_intels_release_paths() -> None:
    omz = [entry for entry in CATALOGUE if entry.path.startswith("omz/")]
    assert all(
        entry.url.startswith("https://storage.openvinotoolkit.org/repositories/open_model_zoo/2023.0/models_bin/1/")
        for entry in omz
    )
    assert all(entry.url.endswith(entry.path.removeprefix("omz/")) for entry in omz)
