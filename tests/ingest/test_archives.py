"""Delivery archives whose member names lead outside their folder ("zip slip")."""

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from dinamis.settings import Settings
from ingest.detect import extract, find_products, unsafe
from ingest.model import IngestError
from ingest.pipeline import ingest_paths
from ingest.testing import make_dimap2_product
from tests.ingest.helpers import acquisition


def zip_of(folder: Path, archive: Path, rename: dict[str, str] | None = None, extra=()) -> Path:
    """``folder`` zipped, members renamed by their file name, plus (name, bytes) extras.

    Through ZipInfo: ``ZipFile.write`` would strip the leading slash these tests need."""
    rename = rename or {}
    members = [
        (rename.get(file.name, str(file.relative_to(folder))), file.read_bytes())
        for file in sorted(p for p in folder.rglob("*") if p.is_file())
    ]
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in [*members, *extra]:
            zf.writestr(zipfile.ZipInfo(name), data)
    return archive


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("../../etc/cron.d/x", True),
        ("/etc/passwd", True),
        ("a/../../b", True),
        ("..\\..\\windows\\x", True),
        ("C:/x", True),
        ("PROD/DIM_X.XML", False),
        ("..hidden/file", False),
    ],
)
def test_unsafe_names(name: str, bad: bool) -> None:
    assert unsafe(name) is bad


def test_unsafe_members_are_skipped_and_said(
    tmp_path: Path, ingest_settings: Settings, database_url: str, collection_ids: list[str]
) -> None:
    make_dimap2_product(tmp_path / "delivery", acquired=acquisition())
    archive = zip_of(
        tmp_path / "delivery",
        tmp_path / "delivery.zip",
        extra=[("../../evil.sh", b"echo pwned"), ("/tmp/absolute.txt", b"x")],
    )
    report = ingest_paths([archive], ingest_settings, database_url, progress=False)
    assert len(report.ingested) == 1 and not report.failed
    assert report.warnings == [
        "delivery.zip: skipped 2 member(s) whose name leads outside the archive: "
        "'../../evil.sh', '/tmp/absolute.txt'"
    ]
    assert not (tmp_path / "evil.sh").exists() and not (tmp_path.parent / "evil.sh").exists()
    assert not list(ingest_settings.storage.rglob("evil.sh"))


def test_archive_whose_product_needs_an_unsafe_member_is_refused(
    tmp_path: Path, ingest_settings: Settings, database_url: str, collection_ids: list[str]
) -> None:
    volume = make_dimap2_product(tmp_path / "delivery", acquired=acquisition())
    tile = next(volume.parent.glob("PROD_*/IMG_*_R1C1.TIF"))
    archive = zip_of(
        tmp_path / "delivery", tmp_path / "delivery.zip", rename={tile.name: f"../{tile.name}"}
    )
    report = ingest_paths([archive], ingest_settings, database_url, progress=False)
    [failure] = report.failed
    assert failure.message == (
        f"delivery.zip: refused, its product needs '../{tile.name}', a member whose name "
        "leads outside the archive"
    )
    assert not report.ingested and not any(ingest_settings.storage.rglob("*.tif"))


def test_archive_whose_metadata_is_unsafe_is_refused(tmp_path: Path) -> None:
    dim = make_dimap2_product(tmp_path / "delivery", volume=False)
    archive = zip_of(dim.parent, tmp_path / "d.zip", rename={dim.name: f"/abs/{dim.name}"})
    scratch = tmp_path / "scratch"
    with pytest.raises(IngestError, match=f"refused, its product needs '/abs/{dim.name}'"):
        find_products(archive, lambda: scratch)


def test_tar_members_outside_are_skipped(tmp_path: Path) -> None:
    archive = tmp_path / "d.tar"
    with tarfile.open(archive, "w") as tf:
        for name in ("../up.txt", "/abs.txt", "ok/inside.txt"):
            info = tarfile.TarInfo(name)
            info.size = 2
            tf.addfile(info, io.BytesIO(b"hi"))
        link = tarfile.TarInfo("ok/link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
    out = tmp_path / "out"
    out.mkdir()
    assert extract(archive, out) == ["../up.txt", "/abs.txt", "ok/link"]
    assert [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()] == [
        "ok/inside.txt"
    ]
