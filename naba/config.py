"""naba's settings: one typed table, read from defaults, config.toml, NABA_* and flags.

Precedence, lowest first: the defaults below, ``config.toml``, ``NABA_<NAME>`` environment
variables, command-line flags. Relative paths in config.toml are taken from the folder of
the file; relative paths anywhere else from the working directory.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from indexer.errors import NabaError
from search.scoring import Ranking

CONFIG_ENV = "NABA_CONFIG"
DEFAULT_CONFIG_FILE = "config.toml"
_RANKING = Ranking()  # the ranking settings start from its defaults


class ConfigError(NabaError):
    """A setting has a value naba cannot use."""


def _setting(default: Any, help: str, **extra: Any) -> Any:
    if isinstance(default, tuple):
        return field(default_factory=lambda: default, metadata={"help": help, **extra})
    return field(default=default, metadata={"help": help, **extra})


@dataclass(frozen=True)
class Config:
    """Settings in force; build one with load_config(). Each field is one documented setting."""

    index: Path = _setting(Path("index"), "Folder of the search index.", path=True)
    sources: tuple[Path, ...] = _setting(
        (Path("seeds"),), "What `naba index` reads when given no SOURCE.", path=True
    )
    host: str = _setting("127.0.0.1", "Address `naba serve` listens on (loopback by default).")
    port: int = _setting(8080, "Port `naba serve` listens on.")
    threads: int = _setting(8, "Worker threads of each web server process.")
    workers: int = _setting(0, "Web server processes (0: one per core).")
    write_timeout: float = _setting(
        60.0, "Seconds `naba serve` waits for a client that reads nothing before it cuts it off."
    )
    build_processes: int = _setting(
        0, "Processes analyzing articles in a full build (0: one per core)."
    )
    per_page: int = _setting(10, "Results on one page of the web UI and of `naba search`.")
    title_boost: float = _setting(
        _RANKING.title_boost, "How much more a word in the title counts than in the body."
    )
    snippet_chars: int = _setting(240, "Length of the highlighted passage shown for each result.")
    match: str = _setting(
        "all",
        "What a search counts: articles with every word of the query (all) or any (any).",
    )
    group: str = _setting(
        "stories",
        "How near-duplicate articles are listed and counted: once a story (stories) or "
        "each (articles).",
    )
    bm25_k1: float = _setting(
        _RANKING.bm25_k1, "BM25 term-frequency saturation (higher: repeats count more)."
    )
    bm25_b: float = _setting(_RANKING.bm25_b, "BM25 length normalization (0: none, 1: full).")
    bm25_b_title: float = _setting(
        _RANKING.bm25_b_title, "BM25 length normalization of the title (0: none, 1: full)."
    )
    lead_boost: float = _setting(
        _RANKING.lead_boost, "Extra weight for words in the opening words of an article."
    )
    exact_boost: float = _setting(
        _RANKING.exact_boost, "Extra weight for articles using the query's own word forms."
    )
    proximity_boost: float = _setting(
        _RANKING.proximity_boost,
        "Extra weight when neighbouring query words stand close together (0: off).",
    )
    proximity_slop: int = _setting(
        _RANKING.proximity_slop, "How many words apart counts as close for proximity."
    )
    aliases_file: str = _setting(
        "", "File of names that mean the same actor (empty: naba's own list).", path=True
    )
    variants_file: str = _setting(
        "", "File of spellings of one name or word (empty: naba's own list).", path=True
    )
    alias_weight: float = _setting(1.0, "Weight of alias names added to a query (0–1).")
    sources_file: str = _setting(
        "", "File of source display names and groups (empty: naba's own list).", path=True
    )
    lock_timeout: float = _setting(10.0, "Seconds a second writer waits for the first to finish.")
    backend: str = _setting(
        "whoosh", "Engine `naba index` builds with: whoosh (one folder) or xapian (shards)."
    )
    shards: int = _setting(1, "Xapian shards a build splits the articles into (ids by hash).")
    shard_servers: tuple[str, ...] = _setting(
        (), "host:port of each Xapian shard server to search instead of the index folder."
    )

    def with_overrides(self, **values: Any) -> Config:
        """A copy with the given settings replaced (None values are ignored)."""
        given = {
            name: _convert(name, value, Path.cwd())
            for name, value in values.items()
            if value is not None
        }
        return replace(self, **given)


SETTINGS = {setting.name: setting for setting in fields(Config)}


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Defaults, then the config file (``path``, $NABA_CONFIG or ./config.toml), then NABA_*."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_file = path or (Path(environ[CONFIG_ENV]) if environ.get(CONFIG_ENV) else None)
    if config_file is None and Path(DEFAULT_CONFIG_FILE).is_file():
        config_file = Path(DEFAULT_CONFIG_FILE)
    if config_file is not None:
        values.update(_read_file(config_file))
    for name in SETTINGS:
        raw = environ.get(f"NABA_{name.upper()}")
        if raw is not None:
            values[name] = _convert(name, raw, Path.cwd())
    return Config(**values)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from error
    unknown = sorted(set(data) - set(SETTINGS))
    if unknown:
        raise ConfigError(f"unknown setting(s) in {path}: {', '.join(unknown)}")
    base = path.resolve().parent
    return {name: _convert(name, value, base) for name, value in data.items()}


def _convert(name: str, value: Any, base: Path) -> Any:
    setting = SETTINGS[name]
    is_path = setting.metadata.get("path", False)
    try:
        if is_path and setting.type == "tuple[Path, ...]":
            items = value.split(os.pathsep) if isinstance(value, str) else list(value)
            return tuple(_path(item, base) for item in items)
        if is_path and setting.type == "str":
            return str(_path(value, base)) if str(value) else ""
        if is_path:
            return _path(value, base)
        if setting.type == "bool":
            return _boolean(value)
        if setting.type == "tuple[str, ...]":
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(item).strip() for item in items if str(item).strip())
        return {"int": int, "float": float, "str": str}[setting.type](value)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"setting {name!r} cannot be {value!r}: {error}") from error


def _path(value: Any, base: Path) -> Path:
    path = Path(os.path.expanduser(str(value)))
    return path if path.is_absolute() else base / path


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


# Settings passed to search.Searcher as keyword arguments, beside the ranking ones.
SEARCHER_SETTINGS = (
    "aliases_file",
    "variants_file",
    "alias_weight",
    "sources_file",
    "snippet_chars",
    "match",
    "group",
    "shard_servers",
)
BACKENDS = ("whoosh", "xapian")
RANKING_SETTINGS = tuple(field.name for field in fields(Ranking))


def searcher_options(config: Config) -> dict[str, Any]:
    """Keyword arguments for search.Searcher taken from the settings."""
    ranking = Ranking(**{name: getattr(config, name) for name in RANKING_SETTINGS})
    return {name: getattr(config, name) for name in SEARCHER_SETTINGS} | {"ranking": ranking}
