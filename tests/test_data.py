"""The shared data root is filled from the offline mirror, once, with clear messages otherwise."""
import shutil
import subprocess
import sys

import pytest

import fill_data  # tools/ is on sys.path through conftest.py
from course_tools import ROOT

MIRROR = fill_data.mirror()
needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no offline MNIST mirror at {MIRROR}")


@needs_mirror
def test_fills_an_empty_root_and_torchvision_loads_it(tmp_path):
    report = fill_data.fill(tmp_path, MIRROR)
    assert "copied" in report
    from torchvision import datasets

    train = datasets.MNIST(tmp_path, train=True, download=False)
    test = datasets.MNIST(tmp_path, train=False, download=False)
    assert (len(train), len(test)) == (60000, 10000)
    assert "ready" in fill_data.fill(tmp_path, MIRROR), "a filled root is not copied again"


def test_no_mirror_is_a_note_not_an_error(tmp_path):
    assert "no MNIST mirror" in fill_data.fill(tmp_path / "data", tmp_path / "nowhere")


@needs_mirror
def test_a_damaged_mirror_is_named(tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(MIRROR, mirror)
    (mirror / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not mnist")
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "fill_data.py")], capture_output=True, text=True,
                          env={"COURSE_DATA_DIR": str(tmp_path / "data"), "COURSE_MNIST_MIRROR": str(mirror)})
    assert proc.returncode != 0
    assert "t10k-labels-idx1-ubyte.gz has MD5" in proc.stderr and "damaged" in proc.stderr
