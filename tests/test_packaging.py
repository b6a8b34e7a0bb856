"""The wheel installs only the framework: no top-level `models`, `examples` or `tests` packages."""
import pathlib
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_wheel_holds_only_tinygrad_lite_and_an_spdx_license(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                           capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    wheel, = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"tinygrad_lite", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
    metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: MIT" in text
    assert "Provides-Extra: cuda12" in text and "Provides-Extra: cuda13" in text
