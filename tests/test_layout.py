"""The project's shape: the core never imports the shells; every setting is documented."""

import subprocess
import sys
import tomllib

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
        if name not in ("aliases_file", "variants_file"):  # "" and None: the shipped list
            assert getattr(Config(), name) == default, name
    for name in RANKING_SETTINGS:  # each ranking setting starts from Ranking's default
        assert getattr(Config(), name) == getattr(Ranking(), name), name
    changed = Config().with_overrides(title_boost=2.5, bm25_b=0.5)
    assert searcher_options(changed)["ranking"] == Ranking(title_boost=2.5, bm25_b=0.5)
