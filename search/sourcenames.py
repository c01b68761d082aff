"""Display names for the archive's source codes (3alyoum → رأي اليوم) and category codes
(sport → رياضة), and named groups of sources, read from a TOML file
(search/data/sources.toml unless another is given)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from indexer.errors import QueryError, SearchError

GROUP_MARK = "@"  # a source filter of @key stands for the sources of group key


@dataclass(frozen=True)
class SourceGroup:
    """Sources filtered by together under one name."""

    key: str
    name: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class SourceDirectory:
    """What the archive's sources are called, and how they are grouped."""

    names: dict[str, str]  # code (casefolded) → display name
    groups: dict[str, SourceGroup]
    categories: dict[str, str] | None = None  # the corpora's category codes → display names

    def category_name(self, category: str) -> str:
        """A category's display name ("" when it has none)."""
        return (self.categories or {}).get(category.casefold(), "")

    def name_of(self, source: str) -> str:
        """A source's display name ("" when it has none)."""
        return self.names.get(source.casefold(), "")

    def members(self, keys: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        """The sources of the named groups; QueryError names an unknown one."""
        chosen: list[str] = []
        for key in keys:
            group = self.groups.get(key.strip().casefold())
            if group is None:
                known = ", ".join(sorted(self.groups)) or "none"
                raise QueryError(
                    f"no source group {key!r} (groups: {known})",
                    f"لا توجد مجموعة مصادر باسم {key!r}",
                )
            chosen += group.sources
        return tuple(dict.fromkeys(chosen))


def load_sources(path: Path | None = None) -> SourceDirectory:
    """The source directory of ``path`` (naba's own file when None)."""
    try:
        if path is None:
            text = resources.files("search").joinpath("data", "sources.toml").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        data = tomllib.loads(text)
        names = {str(code).casefold(): str(name) for code, name in data.get("names", {}).items()}
        categories = {str(code).casefold(): str(name)
                      for code, name in data.get("categories", {}).items()}  # fmt: skip
        groups = {
            str(key).casefold(): SourceGroup(
                str(key).casefold(), str(group.get("name") or key),
                tuple(str(source) for source in group.get("sources", ())),
            )  # fmt: skip
            for key, group in data.get("groups", {}).items()
        }
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError) as error:
        raise SearchError(
            f"cannot read the sources file {path}: {error}",
            f"تعذرت قراءة ملف المصادر {path}",
        ) from error
    return SourceDirectory(names, groups, categories)
