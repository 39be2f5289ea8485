"""The import contracts of `make lint`: import-linter catches a broken one in a small package
made for the test, and GovDesk keeps every one of its own (pyproject.toml)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

CONTRACTS = """\
[importlinter]
root_package = shop

[importlinter:contract:layers]
name = Shop layers
type = layers
layers =
    shop.views
    shop.models

[importlinter:contract:payments]
name = Models know nothing of payments
type = forbidden
source_modules = shop.models
forbidden_modules = shop.payments
"""


def _lint_imports(*arguments, cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--no-logo", *arguments],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(pythonpath)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def shop(tmp_path):
    """A package of two layers (views above models) and payments beside them, with its contracts;
    `shop(models_import=...)` writes what the models module imports."""

    def shop(*, models_import: str) -> Path:
        package = tmp_path / "shop"
        package.mkdir(exist_ok=True)
        (package / "__init__.py").write_text("")
        (package / "views.py").write_text("from shop import models\n")
        (package / "payments.py").write_text("from shop import models\n")
        (package / "models.py").write_text(models_import)
        config = tmp_path / "contracts.ini"
        config.write_text(CONTRACTS)
        return config

    return shop


def test_it_finds_a_lower_layer_importing_a_higher_one(shop, tmp_path):
    config = shop(models_import="from shop import views\n")

    result = _lint_imports(config, cwd=tmp_path, pythonpath=tmp_path)

    assert result.returncode != 0
    assert "Shop layers BROKEN" in result.stdout
    assert "shop.models -> shop.views" in result.stdout
    assert "Models know nothing of payments KEPT" in result.stdout


def test_it_keeps_the_contracts_of_a_package_without_the_bad_import(shop, tmp_path):
    config = shop(models_import="import json\n")

    result = _lint_imports(config, cwd=tmp_path, pythonpath=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_it_keeps_govdesks_import_contracts():
    result = _lint_imports(cwd=PROJECT, pythonpath=PROJECT)

    assert result.returncode == 0, result.stdout + result.stderr
