"""``dinamis ingest`` as the command line runs it: exit status and one line per failure."""

import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from dinamis.settings import Settings
from ingest.cli import app
from ingest.testing import make_dimap2_product
from tests.ingest.helpers import acquisition


def test_exit_status_and_summary(tmp_path: Path, environment: Settings) -> None:
    good = make_dimap2_product(tmp_path / "good", acquired=acquisition())
    bad = tmp_path / "bad" / "DIM_BROKEN.XML"
    bad.parent.mkdir()
    bad.write_text("<Dimap_Document>")
    runner = CliRunner()
    result = runner.invoke(app, [str(good), str(bad), "--workers", "2"])
    assert result.exit_code == 1, result.output
    assert f"FAILED {bad}: not well-formed XML" in result.output
    assert "ingested 1, skipped 0, failed 1" in result.output
    assert list(environment.storage.glob("pleiades/*/*.tif"))
    again = runner.invoke(app, [str(good), "--no-progress"])
    assert again.exit_code == 0, again.output
    assert "ingested 0, skipped 1, failed 0" in again.output


def test_gdal_failures_are_one_line_each_in_words(
    tmp_path: Path, samples: Path, environment: Settings
) -> None:
    """As a user runs it: no GDAL error or warning lines, one FAILED line per product naming
    the cause (GDAL's SPOT 4 sample reads a rgbsmall.tif that is not delivered); the good
    12-bit product beside them is published without a word from GDAL."""
    good = make_dimap2_product(tmp_path / "good", width=700, height=600, acquired=acquisition())
    unreadable = make_dimap2_product(
        tmp_path / "jp2", tile_format="JP2", volume=False, acquired=acquisition()
    )
    broken = next(unreadable.parent.glob("IMG_*_R1C2.JP2"))
    broken.write_bytes(b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"\x00" * 64)
    spot = tmp_path / "spot4"
    spot.mkdir()
    for name in ("METADATA.DIM", "IMAGERY.TIF"):
        shutil.copy(samples / "gdal-autotest/dimap" / name, spot / name)
    paths = [str(good), str(unreadable), str(spot)]
    result = subprocess.run(
        [sys.executable, "-m", "dinamis", "ingest", *paths, "--no-progress"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "GDAL signalled" not in result.stderr and "Traceback" not in result.stderr
    assert "Unknown GDAL Error" not in result.stderr and "CPLE_" not in result.stderr
    failed = [line for line in lines if line.startswith("FAILED")]
    assert len(failed) == 2, lines
    assert f"FAILED {unreadable}: {broken.name}: unreadable image (" in failed[0] + failed[1]
    assert f"FAILED {spot / 'METADATA.DIM'}: cannot write the COG: " in "\n".join(failed)
    assert "rgbsmall.tif: No such file or directory" in "\n".join(failed)
    assert lines[-1] == "ingested 1, skipped 0, failed 2"
