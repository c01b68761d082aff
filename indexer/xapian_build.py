"""Building, updating and deleting from a Xapian index, on the same atomic generations as
the Whoosh one (indexer/build.py): a build writes a new generation of shards and swaps it
in; an update or deletion changes the live shards in place, each shard in one commit."""

from __future__ import annotations

from pathlib import Path

from indexer.disk import check_room, estimated_index_bytes
from indexer.store import read_meta
from indexer.xapian_adapter import FieldWeights, build_shards, delete_from_shards, update_shards
from indexer.xapian_adapter.shards import missing_ids
from indexer.xapian_adapter.writing import count_shards, document_count, publish_stubs


def build(sources, index_dir, report, include_titles, on_progress, lock_timeout, processes,
          shards, weights: FieldWeights, change) -> None:  # fmt: skip
    """A full build into a new generation of ``shards`` shards (``change`` is build._change)."""
    from indexer.build import _require_articles

    def write(generation: Path) -> dict:
        check_room(index_dir, estimated_index_bytes(sources))
        next_seq = build_shards(
            generation, sources, report, shards=shards, include_titles=include_titles,
            weights=weights, processes=processes, on_progress=on_progress,
        )  # fmt: skip
        _require_articles(report, sources, f"the existing index at {index_dir} was kept")
        report.documents = count_shards(generation, shards)
        return {
            "backend": "xapian", "shards": shards, "weights": weights.as_dict(),
            "include_titles": include_titles, "next_seq": next_seq, "sources": sources,
        }  # fmt: skip

    change(index_dir, lock_timeout, report, write, start_from_live=False,
           published=lambda generation: publish_stubs(index_dir, generation, shards))  # fmt: skip


def update(sources, index_dir, report, on_progress, lock_timeout, in_place) -> None:
    """Add or replace articles in the live shards (``in_place`` is build._in_place)."""
    from indexer.build import _require_articles

    def write(generation: Path) -> dict:
        check_room(index_dir, estimated_index_bytes(sources))
        meta = read_meta(generation)
        weights = FieldWeights(**meta["weights"])
        next_seq = update_shards(
            generation, sources, report, include_titles=meta.get("include_titles", True),
            weights=weights, first_seq=meta.get("next_seq", 0), on_progress=on_progress,
        )  # fmt: skip
        _require_articles(report, sources, f"the index at {index_dir} was left as it was")
        report.documents = document_count(generation)
        return {"next_seq": next_seq, "sources": [*meta.get("sources", []), *sources]}

    in_place(index_dir, lock_timeout, report, write)


def delete(ids, index_dir, report, lock_timeout, in_place) -> None:
    """Delete articles by id from the live shards (``in_place`` is build._in_place)."""
    from indexer.build import _require_present

    def write(generation: Path) -> dict:
        _require_present(index_dir, ids, missing_ids(generation, ids))  # before any write
        report.deleted, report.missing = delete_from_shards(generation, ids)
        report.documents = document_count(generation)
        return {}

    in_place(index_dir, lock_timeout, None, write)
