"""The project installs as a package: a wheel and an editable install work from any folder (README: installing).

The fast tests read pyproject.toml against the tree: every package folder is declared, every
dependency is pinned in a requirements file, and every third-party import is a dependency.
The slow ones build a wheel from a copy of the tree (a build writes ``build/`` and
``*.egg-info`` beside the sources, so never in the project itself), install it into a fresh
venv that sees this venv's packages through a ``.pth`` file (offline, nothing downloaded),
and run the model and the console script from a folder outside the project.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
CODE_PACKAGES = ("agents", "analysis", "classroom", "economy")
PROJECT_NAMES = {*CODE_PACKAGES, "configs", "model", "run", "app", "tests"}
# What a build needs of the tree, and not what the tree gathers around it (hidden files: .git, .venv, caches,
# editors' swap files).
NOT_SOURCES = shutil.ignore_patterns(".*", "*~", "results", "__pycache__", "*.pyc", "build", "*.egg-info")
# Tools inside the classroom package that the page never imports: screenshots for the docs need the
# browser-test setup (playwright, Pillow), not the classroom extra.
TOOLING = {"classroom/screenshots.py"}
SCRIPT = "ai-financing-web"


def _normal(name: str) -> str:
    """A distribution name as the package index compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pinned(requirements: str) -> set[str]:
    """Names pinned with ``==`` in a requirements file of the project."""
    lines = (line.split("#")[0].strip() for line in (ROOT / requirements).read_text(encoding="utf-8").splitlines())
    return {_normal(line.split("==")[0]) for line in lines if "==" in line}


def _names(requirements: list[str]) -> set[str]:
    return {_normal(Requirement(r).name) for r in requirements}


def _package_folders() -> set[str]:
    """Every folder of the shipped top level that holds modules, or (configs) YAML files, in dotted form."""
    found = set()
    for top, pattern in [*((p, "*.py") for p in CODE_PACKAGES), ("configs", "*.yaml")]:
        for folder in [ROOT / top, *(ROOT / top).rglob("*")]:
            if folder.is_dir() and folder.name != "__pycache__" and any(folder.glob(pattern)):
                found.add(".".join(folder.relative_to(ROOT).parts))
    return found


def _third_party_imports(paths: list[Path]) -> dict[str, set[str]]:
    """Top-level names of the modules outside the standard library and the project that ``paths`` import."""
    out: dict[str, set[str]] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = {node.module.split(".")[0]}
            else:
                continue
            for name in names - PROJECT_NAMES - set(sys.stdlib_module_names) - {"__future__"}:
                out.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return out


def test_every_package_folder_is_declared():
    """pyproject.toml names every package folder (a new subpackage must be added there, or it is not installed)."""
    declared = set(SETUPTOOLS["packages"])
    assert sorted(_package_folders() - declared) == [], "add to [tool.setuptools] packages in pyproject.toml"
    assert sorted(declared - _package_folders()) == [], "declared in pyproject.toml but not in the tree"
    assert set(SETUPTOOLS["py-modules"]) == {"app", "model", "run"}


def test_dependencies_are_named_in_pyproject_and_pinned_in_the_requirements_files():
    """Versions live in requirements*.txt alone: pyproject names dependencies without pinning them."""
    project = PYPROJECT["project"]
    runtime = project["dependencies"]
    extras = project["optional-dependencies"]
    pinned = _pinned("requirements.txt")
    assert sorted(_names(runtime) - pinned) == []
    assert sorted(_names(extras["test"]) - pinned) == []
    assert sorted(_names(extras["classroom"]) - _pinned("requirements-classroom.txt") - pinned) == []
    pins = [r for r in [*runtime, *extras["test"], *extras["classroom"]] if Requirement(r).specifier]
    assert pins == [], "pin versions in requirements*.txt, not in pyproject.toml"


def _installed_with(requirements: list[str]) -> set[str]:
    """The distributions that installing ``requirements`` brings for certain: themselves and their own dependencies."""
    names = _names(requirements)
    for name in list(names):
        try:
            names |= {_normal(Requirement(r).name) for r in requires(name) or [] if "extra ==" not in r}
        except PackageNotFoundError:
            pass
    return names


def _undeclared_imports(paths: list[Path], requirements: list[str]) -> list[str]:
    """Third-party modules imported by ``paths`` that no distribution installed with ``requirements`` provides."""
    dists = {module: {_normal(d) for d in names} for module, names in packages_distributions().items()}
    allowed = _installed_with(requirements)
    return [f"{module} (from {sorted(dists.get(module, {'nothing installed'}))}, imported by {sorted(where)[0]})"
            for module, where in sorted(_third_party_imports(paths).items()) if not dists.get(module, set()) & allowed]


def test_every_third_party_import_of_the_simulator_is_a_dependency():
    """What model, run, agents, analysis and economy import is installed with the package."""
    paths = [ROOT / "model.py", ROOT / "run.py", *(p for top in ("agents", "analysis", "economy")
                                                   for p in sorted((ROOT / top).rglob("*.py")))]
    assert _undeclared_imports(paths, PYPROJECT["project"]["dependencies"]) == [], "add to dependencies in pyproject.toml"


def test_every_third_party_import_of_the_classroom_is_in_its_extra():
    """What app.py and the classroom page import is installed with the ``classroom`` extra."""
    pytest.importorskip("solara")  # the classroom extras (requirements-classroom.txt); make test installs them
    project = PYPROJECT["project"]
    paths = [ROOT / "app.py", *(p for p in sorted((ROOT / "classroom").rglob("*.py"))
                                if str(p.relative_to(ROOT)) not in TOOLING)]
    requirements = project["dependencies"] + project["optional-dependencies"]["classroom"]
    assert _undeclared_imports(paths, requirements) == [], "add to the classroom extra in pyproject.toml"


# ---------------------------------------------------------------------------- building and installing
def _env() -> dict[str, str]:
    """This environment without anything that would put the project on the path, and offline for pip."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    return {**env, "MPLBACKEND": "Agg", "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PYTHONDONTWRITEBYTECODE": "1"}


def _run(args: list[str | Path], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=_env(), capture_output=True, text=True,
                            timeout=timeout, check=False)
    assert result.returncode == 0, f"{' '.join(map(str, args))}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def _pip(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-m", "pip", "--quiet", *args], cwd=cwd)


def _fresh_venv(folder: Path) -> Path:
    """A venv without pip whose packages are this venv's, read through a .pth file; return its python.

    A path in a .pth file is only added to ``sys.path``, so the .pth files in this venv (an
    editable install of the project, say) are not run: the new venv sees the dependencies, and
    the project only as it is installed into the new venv, which comes first on the path.
    """
    _run([sys.executable, "-m", "venv", "--without-pip", folder], cwd=folder.parent)
    python = folder / "bin" / "python"
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=folder).stdout.strip()
    (Path(purelib) / "_project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return python


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project's tree, to build from."""
    copy = tmp_path_factory.mktemp("pkg") / "source"
    shutil.copytree(ROOT, copy, ignore=NOT_SOURCES)
    return copy


@pytest.fixture(scope="module")
def wheel(source: Path) -> Path:
    """The project's wheel, built offline with this venv's setuptools."""
    out = source.parent / "wheels"
    _pip("wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", out, source, cwd=source.parent)
    (built,) = out.glob("ai_financing_web-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path) -> Path:
    """A fresh venv with the wheel installed (not editable); return its python."""
    python = _fresh_venv(wheel.parent.parent / "venv")
    _pip("--python", python, "install", "--no-deps", wheel, cwd=wheel.parent)
    return python


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working folder outside the project and outside the venv."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


@pytest.mark.slow
def test_the_wheel_holds_the_code_and_the_data_it_reads(source: Path, wheel: Path):
    """Every module, config (baseline, scenarios, sweeps) and classroom file is in the wheel; tests and docs are not."""
    shipped = [*CODE_PACKAGES, "configs"]
    expected = {"app.py", "model.py", "run.py"} | {
        p.relative_to(source).as_posix() for top in shipped for p in (source / top).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts}
    with zipfile.ZipFile(wheel) as zf:
        contents = {n for n in zf.namelist() if ".dist-info/" not in n}
        entry_points = next(zf.read(n).decode() for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt"))
    assert sorted(expected - contents) == [], "missing from the wheel: add package-data in pyproject.toml"
    assert sorted(contents - expected) == []
    assert f"{SCRIPT} = run:main" in entry_points


@pytest.mark.slow
def test_the_installed_wheel_runs_the_model_from_any_folder(installed: Path, elsewhere: Path):
    """Imported from the wheel, the model finds its baseline and scenarios beside itself and runs two quarters."""
    code = """if True:
        import json, sys, sysconfig
        import model, run
        from economy.config import load_config
        site = sysconfig.get_paths()["purelib"]
        cfg = load_config(model.BASELINE.parent / "scenarios" / "ai_winter.yaml")
        m = model.AIFinanceModel(quarters=2).run()
        print(json.dumps({"model": model.__file__, "site": site, "baseline": model.BASELINE.is_file(),
                          "scenario": cfg.run.name, "quarter": m.quarter, "out": str(run.DEFAULT_OUT)}))
    """
    got = json.loads(_run([installed, "-c", code], cwd=elsewhere).stdout.splitlines()[-1])
    assert Path(got["model"]).parent == Path(got["site"]), "the model was imported from elsewhere than the wheel"
    assert got["baseline"] and got["scenario"] == "ai_winter"
    assert got["quarter"] == 2
    assert Path(got["out"]) == elsewhere / "results", "installed, results go into ./results, not site-packages"


@pytest.mark.slow
def test_the_console_script_is_run_py(installed: Path, elsewhere: Path):
    """``ai-financing-web`` has run.py's commands, and a run writes into results/ of the folder it is run in."""
    script = installed.parent / SCRIPT
    helped = _run([script, "--help"], cwd=elsewhere).stdout
    assert all(command in helped for command in ("run", "sweep", "analyze", "compare", "export"))
    _run([script, "run", "--quarters", "2"], cwd=elsewhere)
    summary = json.loads((elsewhere / "results" / "baseline" / "summary.json").read_text(encoding="utf-8"))
    assert "defaults" in summary
    assert sorted(p.name for p in elsewhere.iterdir()) == ["results"]


@pytest.mark.slow
def test_an_editable_install_imports_the_sources(source: Path, tmp_path: Path, elsewhere: Path):
    """``pip install -e .`` works: from any folder, the modules and the results folder are the checkout's."""
    python = _fresh_venv(tmp_path / "venv")
    _pip("--python", python, "install", "--no-deps", "--no-build-isolation", "--editable", source, cwd=source)
    code = "import model, run, configs; print(model.__file__); print(model.BASELINE.is_file()); print(run.DEFAULT_OUT)"
    where, baseline, out = _run([python, "-c", code], cwd=elsewhere).stdout.split()
    assert Path(where) == source / "model.py"
    assert baseline == "True"
    assert Path(out) == source / "results", "in a checkout, results go into the project's results/ as before"
