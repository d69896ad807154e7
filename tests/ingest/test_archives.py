"""Delivery archives whose member names lead outside their folder ("zip slip")."""

import io
import re
import shutil
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from dinamis.settings import Settings
from ingest.detect import central_directory_size, extract, find_products, unsafe
from ingest.limits import ingest_limits
from ingest.model import IngestError
from ingest.pipeline import IngestReport, ingest_paths
from ingest.relay import relay_paths
from ingest.storage import PARTIAL
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


def zeros_zip(archive: Path, size: int, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(archive, "w", compression) as zf:
        zf.writestr("DIM_ZEROS.XML", bytes(size))
    return archive


def declaring(archive: Path, size: int) -> Path:
    """A zip whose one member says it unpacks to ``size`` bytes and holds three."""
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("DIM_X.XML", b"abc")
    data = bytearray(archive.read_bytes())
    central = data.rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = size.to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    return archive


def nested(archive: Path, depth: int) -> Path:
    inner = archive.with_name("level0.zip")
    zeros_zip(inner, 10)
    for level in range(1, depth + 1):
        outer = archive if level == depth else archive.with_name(f"level{level}.zip")
        with zipfile.ZipFile(outer, "w") as zf:
            zf.write(inner, inner.name)
        inner.unlink()
        inner = outer
    return archive


def crowded(archive: Path, members: int, folder: str = "") -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(members):
            zf.writestr(f"{folder}f{i}", b"")
    return archive


RATIO = "unpacks to more than 200 times its size"


def tar_of_zeros(archive: Path, size: int) -> Path:
    with tarfile.open(archive, "w:gz" if archive.suffix == ".gz" else "w") as tf:
        info = tarfile.TarInfo("DIM_ZEROS.XML")
        info.size = size
        tf.addfile(info, io.BytesIO(bytes(size)))
    return archive


@pytest.mark.parametrize(
    ("members", "comment"),
    [(3, b""), (3, b"a comment after the end record"), (70_000, b"")],
    ids=["plain", "comment", "zip64"],
)
def test_central_directory_size_is_read_as_zipfile_reads_it(
    tmp_path: Path, members: int, comment: bytes
) -> None:
    archive = crowded(tmp_path / "a.zip", members)
    with zipfile.ZipFile(archive, "a") as zf:
        zf.comment = comment
    with zipfile.ZipFile(archive) as zf:
        records = sum(46 + len(i.orig_filename.encode()) + len(i.extra) for i in zf.infolist())
    assert central_directory_size(archive) == records


def test_a_delivery_with_a_tile_of_nodata_is_no_bomb(
    tmp_path: Path, ingest_settings: Settings, database_url: str, collection_ids: list[str]
) -> None:
    """A member of zeros packs a thousandfold like a bomb's; the delivery as a whole does not."""
    make_dimap2_product(tmp_path / "delivery", acquired=acquisition())
    archive = Path(shutil.make_archive(str(tmp_path / "delivery"), "zip", tmp_path / "delivery"))
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("MASKS/EMPTY_R9C9.TIF", bytes(8 << 20))
    report = ingest_paths([archive], ingest_settings, database_url, progress=False)
    assert len(report.ingested) == 1 and not report.failed


@pytest.mark.parametrize(
    ("name", "make", "cause"),
    [
        ("ratio.zip", lambda a: zeros_zip(a, 4 << 20), RATIO),
        ("ratio.tar.gz", lambda a: tar_of_zeros(a, 4 << 20), RATIO),
        ("size.zip", lambda a: zeros_zip(a, 3 << 20, zipfile.ZIP_STORED), "unpacks to more than"),
        ("declared.zip", lambda a: declaring(a, 0xFFFFFFF0), RATIO),
        ("size.tar", lambda a: tar_of_zeros(a, 3 << 20), "unpacks to more than 2097152 bytes"),
        ("members.zip", lambda a: crowded(a, 60), "more than 50 members"),
        (
            "long-list.zip",
            lambda a: crowded(a, 40, f"{'d' * 200}/{'e' * 200}/"),
            r"its member list takes \d+ bytes, more than 50 members would",
        ),
        ("nested.zip", lambda a: nested(a, 3), "archives nested more than 1 deep"),
    ],
)
def test_archive_beyond_the_limits_is_refused_and_leaves_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ingest_settings: Settings,
    database_url: str,
    collection_ids: list[str],
    name: str,
    make: Callable[[Path], Path],
    cause: str,
) -> None:
    for limit, value in [("UNPACKED_BYTES", 2 << 20), ("MEMBERS", 50), ("ARCHIVE_DEPTH", 1)]:
        monkeypatch.setenv(f"DINAMIS_INGEST_MAX_{limit}", str(value))
    ingest_limits.cache_clear()
    try:
        good = make_dimap2_product(tmp_path / "good", acquired=acquisition())
        hostile = make(tmp_path / name)
        report = ingest_paths([hostile, good], ingest_settings, database_url, progress=False)
    finally:
        ingest_limits.cache_clear()
    [failure] = report.failed
    # A nested archive is named by the innermost one refused, inside the one given.
    assert failure.product.startswith(str(hostile))
    assert re.search(rf"refused, .*{cause}", failure.message)
    assert len(report.ingested) == 1
    assert not [p for p in ingest_settings.storage.rglob("*") if PARTIAL in p.name]
    assert not any(ingest_settings.storage.rglob("DIM_ZEROS.XML"))


@pytest.mark.parametrize(
    ("run", "zip_cause"),
    [(ingest_paths, "cannot unpack"), (relay_paths, "archives are not catalogued in place")],
    ids=["ingest", "relay"],
)
def test_refused_archive_or_volume_of_a_folder_fails_alone(
    tmp_path: Path,
    ingest_settings: Settings,
    database_url: str,
    collection_ids: list[str],
    run: Callable[..., IngestReport],
    zip_cause: str,
) -> None:
    folder = tmp_path / "deliveries"
    make_dimap2_product(folder / "good", acquired=acquisition())
    (folder / "broken.zip").write_bytes(b"PK\x03\x04 truncated")
    (folder / "other").mkdir()
    (folder / "other" / "VOL_X.XML").write_text("<Dimap_Document/>")
    report = run([folder], ingest_settings, database_url, progress=False)
    assert len(report.ingested) == 1
    causes = {Path(o.product).name: o.message for o in report.failed}
    assert zip_cause in causes.pop("broken.zip")
    assert causes == {"VOL_X.XML": "not a DIMAP v2 volume"}
