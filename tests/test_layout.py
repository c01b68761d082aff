"""The project's shape: the core never imports the shells; every setting is documented."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

from naba.config import SETTINGS, Config, load_config
from tests.conftest import ROOT


def test_core_does_not_import_flask_or_click():
    code = (
        "import sys, search, indexer; from search import Searcher; from indexer import analyze;"
        "print(sorted(m for m in ('flask', 'click', 'web', 'naba') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_config_toml_documents_every_setting_with_its_default():
    text = (ROOT / "config.toml").read_text("utf-8")
    values = tomllib.loads(text)
    assert set(values) == set(SETTINGS)
    loaded = load_config(ROOT / "config.toml", environ={})
    defaults = Config()
    for name in SETTINGS:
        assert f"NABA_{name.upper()}" in text, name
        if name not in ("index", "sources"):
            assert getattr(loaded, name) == getattr(defaults, name), name
    assert loaded.index == ROOT / "index" and loaded.sources == (ROOT / "seeds",)


def test_every_searcher_option_is_a_setting_passed_through():
    import inspect

    from naba.config import RANKING_SETTINGS, SEARCHER_SETTINGS, searcher_options
    from search import Ranking, Searcher

    accepted = set(inspect.signature(Searcher).parameters) - {"index_dir", "ranking_options"}
    assert set(SEARCHER_SETTINGS) | {"ranking"} == accepted
    for name in SEARCHER_SETTINGS:
        default = inspect.signature(Searcher).parameters[name].default
        if name not in ("aliases_file", "variants_file", "sources_file"):  # "", None: shipped
            assert getattr(Config(), name) == default, name
    for name in RANKING_SETTINGS:  # each ranking setting starts from Ranking's default
        assert getattr(Config(), name) == getattr(Ranking(), name), name
    changed = Config().with_overrides(title_boost=2.5, bm25_b=0.5)
    assert searcher_options(changed)["ranking"] == Ranking(title_boost=2.5, bm25_b=0.5)


# What each layer may not import (modules and packages; ARCHITECTURE.md gives the reasons).
# A package's __main__.py is a shell of its own (``python -m indexer`` runs the CLI).
FORBIDDEN_IMPORTS = {
    "indexer": ("search", "web", "naba", "flask", "click", "werkzeug", "waitress"),
    "search": ("web", "naba", "flask", "click", "werkzeug", "waitress"),
    "web": ("naba.cli", "click"),
    "naba": ("web.views", "web.params", "flask"),
}
WHOOSH_ADAPTER = Path("indexer") / "whoosh_adapter"
# Xapian is met by its adapter (writing, opening shards) and by the search side that turns
# naba's query plan into Xapian queries.
XAPIAN_MODULES = (Path("indexer") / "xapian_adapter", Path("search") / "xapian_engine.py")


def _imports(path: Path) -> set[str]:
    """The modules a module imports, at the top or inside functions (``from a import b``
    counts as a and a.b)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_no_module_imports_what_its_layer_may_not():
    broken = []
    for package, forbidden in FORBIDDEN_IMPORTS.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            module = path.relative_to(ROOT)
            imported = _imports(path)
            if path.name != "__main__.py":
                broken += [
                    f"{module} imports {name}"
                    for name in sorted(imported)
                    if any(_within(name, banned) for banned in forbidden)
                ]
            if any(_within(name, "whoosh") for name in imported) and (
                WHOOSH_ADAPTER not in module.parents
            ):
                broken.append(f"{module} imports whoosh outside {WHOOSH_ADAPTER}")
            if any(_within(name, "xapian") for name in imported) and not any(
                module == allowed or allowed in module.parents for allowed in XAPIAN_MODULES
            ):
                broken.append(f"{module} imports xapian outside {XAPIAN_MODULES}")
    assert broken == []
    assert "whoosh.index" in _imports(ROOT / WHOOSH_ADAPTER / "reader.py")  # imports are seen


def test_every_package_of_the_project_is_installed():
    from setuptools import find_packages

    include = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]
    installed = set(find_packages(str(ROOT), include=include))
    on_disk = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for package in ("indexer", "search", "web", "naba")
        for path in (ROOT / package).rglob("__init__.py")
    }
    assert on_disk <= installed and "indexer.whoosh_adapter" in installed
