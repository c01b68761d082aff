"""Opening a Xapian index's shards as one database: local folders of a generation, or
shard servers (`xapian-tcpsrv`) at host:port addresses.

    gen-*/shard-000/ … shard-NNN/   one Xapian database per shard (ids split by hash)
    INDEX_DIR/shards/shard-NNN      stub files naming the live generation's shards: what a
                                    shard server serves, so it follows rebuilds

Every failure says which shard and how to fix it; a search never runs on some shards only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import xapian

from indexer.errors import ShardUnavailableError
from indexer.store import read_meta
from indexer.xapian_adapter.documents import id_term, shard_of

SHARD_PREFIX = "shard-"
STUB_FOLDER = "shards"
META_KEY = "naba"  # each shard's metadata: naba.json's compatibility facts, and its sources
GENERATION_KEY = "naba_generation"  # the name of the generation a build wrote the shard in
REMOTE_TIMEOUT_MS = 10_000


class ShardError(ShardUnavailableError):
    """A shard is down, unreachable or damaged (which, and how to fix it, in the message)."""


def shard_paths(generation: Path, shards: int) -> list[Path]:
    """The folders of a generation's shards."""
    return [generation / f"{SHARD_PREFIX}{number:03d}" for number in range(shards)]


def write_stubs(index_dir: Path, generation: Path, shards: int) -> None:
    """Point INDEX_DIR/shards/shard-NNN at the generation's shards (each replaced atomically),
    so that shard servers started on the stubs serve the live generation."""
    folder = index_dir / STUB_FOLDER
    folder.mkdir(exist_ok=True)
    for path in shard_paths(generation, shards):
        stub = folder / path.name
        temporary = stub.with_name(stub.name + ".tmp")
        temporary.write_text(f"auto ../{generation.name}/{path.name}\n", "utf-8")
        os.replace(temporary, stub)


def stub_path(index_dir: Path, number: int) -> Path:
    """The stub file a server for shard ``number`` of the index at ``index_dir`` serves."""
    return index_dir / STUB_FOLDER / f"{SHARD_PREFIX}{number:03d}"


@dataclass
class XapianShards:
    """Several shards searched as one database; ``labels`` say where each lives."""

    database: object  # xapian.Database
    parts: list = field(default_factory=list)  # one xapian.Database per shard
    labels: list[str] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return self.database.get_doccount()

    def meta(self) -> dict:
        """The naba metadata of the first shard (every shard holds the same facts)."""
        return _meta(self.parts[0], self.labels[0])

    def sources(self) -> list[str]:
        """Every source name, over all shards."""
        names: set[str] = set()
        for part, label in zip(self.parts, self.labels, strict=True):
            names.update(_meta(part, label).get("source_names", ()))
        return sorted(names)

    def generation(self) -> str:
        """The name of the generation the shards were built in ("" when they do not all
        say the same: a rebuild's stubs half rewritten, or an older naba's shards)."""
        names = {part.get_metadata(GENERATION_KEY).decode("utf-8") for part in self.parts}
        return names.pop() if len(names) == 1 else ""

    def identity(self) -> tuple[str, ...]:
        """The shards' UUIDs: a rebuild makes new ones, updates keep them."""
        return tuple(part.get_uuid() for part in self.parts)

    def revisions(self) -> tuple:
        """What changes when any shard commits: the key of what searches may cache."""
        return tuple(part.get_revision() for part in self.parts)

    def reopen(self) -> bool:
        """See the shards' latest commits; True when something changed."""
        try:
            return bool(self.database.reopen())
        except xapian.Error as error:
            raise _failure("the index's shards", error) from error

    def close(self) -> None:
        for part in self.parts:
            part.close()
        self.database.close()


def open_shards(generation: Path | None = None, remotes: tuple[str, ...] = ()) -> XapianShards:
    """The shards of a local generation, or those served at ``remotes`` (host:port)."""
    if remotes:
        opened = [(_open_remote(address), f"shard server {address}") for address in remotes]
    else:
        assert generation is not None
        shards = int(read_meta(generation)["shards"])
        opened = [(_open_local(path), f"shard {path}") for path in shard_paths(generation, shards)]
    database = xapian.Database()
    for part, _ in opened:
        database.add_database(part)
    return XapianShards(database, [part for part, _ in opened], [label for _, label in opened])


def missing_ids(generation: Path, ids: list[str]) -> list[str]:
    """The ids no shard of the generation has (read only: no shard is opened for writing)."""
    shards = int(read_meta(generation)["shards"])
    databases = [xapian.Database(str(path)) for path in shard_paths(generation, shards)]
    try:
        return [
            doc_id
            for doc_id in ids
            if not databases[shard_of(doc_id, shards)].term_exists(id_term(doc_id))
        ]
    finally:
        for database in databases:
            database.close()


def guarded(label: str, action):
    """Run ``action()``, saying which shard failed and how to fix it."""
    try:
        return action()
    except xapian.Error as error:
        raise _failure(label, error) from error


def _open_local(path: Path):
    try:
        return xapian.Database(str(path))
    except xapian.Error as error:
        raise _failure(f"shard {path}", error) from error


def _open_remote(address: str):
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ShardError(
            f"{address!r} is not a shard server address; write host:port, e.g. 127.0.0.1:9101",
            f"{address!r} ليس عنوان خادم جزء؛ اكتب host:port مثل 127.0.0.1:9101",
        )
    try:
        return xapian.remote_open(host, int(port), REMOTE_TIMEOUT_MS, REMOTE_TIMEOUT_MS)
    except xapian.Error as error:
        raise _failure(f"shard server {address}", error) from error


def _meta(part, label: str) -> dict:
    try:
        text = part.get_metadata(META_KEY)
    except xapian.Error as error:
        raise _failure(label, error) from error
    return json.loads(text.decode("utf-8")) if text else {}


def _failure(label: str, error: Exception) -> ShardError:
    reason = f"{type(error).__name__}: {error.get_msg() if hasattr(error, 'get_msg') else error}"
    if "server" in label:
        fix = "start it (`naba shard-serve`) or fix the address in config.toml's xapian_shards"
        fix_ar = "شغّله (`naba shard-serve`) أو صحّح عنوانه في xapian_shards"
    else:
        fix = "rebuild the index with `naba index --backend xapian`"
        fix_ar = "أعد بناء الفهرس بالأمر `naba index --backend xapian`"
    return ShardError(
        f"{label} cannot be searched ({reason}); no results are given from the other shards "
        f"alone — {fix}",
        f"تعذّر البحث في {label}، ولا تُعرض نتائج ناقصة من الأجزاء الأخرى — {fix_ar}",
    )
