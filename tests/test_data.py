"""The shared data root is filled from the offline mirror, once, with clear messages otherwise."""
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tools import fill_data
from conftest import LESSONS, ROOT, SOURCE_NOTEBOOKS, rel

MIRROR = fill_data.mirror()
needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no offline MNIST mirror at {MIRROR}")


@pytest.mark.slow
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


MNIST_NOTEBOOKS = [path for path in LESSONS + SOURCE_NOTEBOOKS if "datasets.MNIST(" in path.read_text()]
DEAD_PROXY = "http://127.0.0.1:9"  # nothing listens there: every download fails at once, as offline


def test_some_notebooks_load_mnist():
    assert {path.name for path in MNIST_NOTEBOOKS} >= {"03_mnist_classification.ipynb", "mnist_classifier.ipynb"}


@pytest.mark.slow  # runs the notebooks
@pytest.mark.parametrize("path", MNIST_NOTEBOOKS, ids=rel)
def test_missing_mnist_offline_is_one_clear_message(path, tmp_path, monkeypatch):
    """With an empty data root and no network, the notebook stops at loading MNIST with one message
    that says where to put the files, not a traceback."""
    empty = tmp_path / "empty-data-root"
    monkeypatch.setenv("COURSE_DATA_DIR", str(empty))
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(name, DEAD_PROXY)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    nb = nbformat.read(path, as_version=4)
    with pytest.raises(CellExecutionError) as failure:
        NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert failure.value.ename == "SystemExit", f"expected one SystemExit message, got {failure.value.ename}"
    message = failure.value.evalue
    assert f"MNIST is not in {empty / 'MNIST' / 'raw'}" in message
    assert all(name in message for name in fill_data.MD5), "the message names the four files"
    failed = [cell for cell in nb.cells if cell.cell_type == "code" and any(
        output.output_type == "error" for output in cell.get("outputs", []))]
    assert len(failed) == 1 and "datasets.MNIST(" in failed[0].source, "it stops in the cell that loads MNIST"
