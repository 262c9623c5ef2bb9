"""The core imports nothing web, no channel SDK and no Rasa (STYLE.md, "Module boundaries")."""

import subprocess
import sys

import pytest

from core.settings import ROOT

CORE_MODULES = sorted(
    str(path.relative_to(ROOT).with_suffix("")).replace("/", ".")
    for path in (ROOT / "core").rglob("*.py")
    if path.name != "__init__.py"
)
FORBIDDEN = ("fastapi", "starlette", "linebot", "telegram", "rasa_sdk", "rasa", "uvicorn")


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_no_edge_library(module):
    probe = (
        f"import sys, {module}; "
        f"print(','.join(sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r})))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("edge, other", [("channels", "actions"), ("channels", "console"), ("actions", "channels")])
def test_no_edge_imports_another_edge(edge, other):
    for path in (ROOT / edge).rglob("*.py"):
        source = path.read_text()
        assert f"from {other}" not in source and f"import {other}" not in source, path


PRODUCT = ("actions", "bench", "channels", "console", "core", "fakeplatform", "launcher", "nlu", "storytests", "triage",
           "webapp")  # fmt: skip


@pytest.mark.parametrize("package", PRODUCT)
def test_nothing_outside_the_tests_imports_them(package):
    for path in (ROOT / package).rglob("*.py"):
        source = path.read_text()
        assert "from tests" not in source and "import tests" not in source, path


@pytest.mark.parametrize("script", sorted(path.stem for path in (ROOT / "bench").glob("*.py")))
def test_every_benchmark_can_be_loaded(script):
    subprocess.run([sys.executable, "-c", f"import bench.{script}"], cwd=ROOT, capture_output=True, check=True)
