"""A clone of the repository alone is enough: its sample-reading tests pass with no folder of
samples beside it and no ``DINAMIS_SAMPLES_DIR``, on the clone's own code and data."""

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dinamis.settings import REPO_ROOT


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def clone() -> Iterator[Path]:
    """The committed HEAD of this checkout, cloned alone into a fresh temporary folder."""
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    parent = Path(tempfile.mkdtemp(prefix="dinamis-clone-"))
    target = parent / "dinamis"
    try:
        head = git("-C", str(REPO_ROOT), "rev-parse", "HEAD")
        git("clone", "--quiet", "--no-checkout", str(REPO_ROOT), str(target))
        git("-C", str(target), "checkout", "--quiet", head)
        assert sorted(p.name for p in parent.iterdir()) == ["dinamis"]
        yield target
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def in_clone(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DINAMIS_SAMPLES_DIR"}
    # The clone's packages first: this checkout's editable install must not stand in for them.
    env["PYTHONPATH"] = str(clone)
    return subprocess.run(
        [sys.executable, *args], cwd=clone, env=env, capture_output=True, text=True, timeout=900
    )


def test_the_clone_runs_its_own_code(clone: Path) -> None:
    done = in_clone(clone, "-c", "import dinamis.settings, tests.conftest as c; print(c.SAMPLES)")
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == clone / "tests" / "data"


def test_the_sample_tests_pass_in_the_clone(clone: Path) -> None:
    done = in_clone(
        clone,
        "-m",
        "pytest",
        "tests/ingest/test_samples.py",
        "tests/ingest/test_parse.py",
        "-p",
        "no:cacheprovider",
        "-q",
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout
