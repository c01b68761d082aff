"""Writing one generation: Whoosh's index files, changed only by new TOCs.

naba never writes through Whoosh's writer (whose merges would leave segments without
posting arrays): segments are built whole (segments.py) and added in a new TOC, and
deletions are marked on the segments in another, so every segment keeps its arrays.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, clean_files

from indexer.errors import IndexBusyError
from indexer.sources import FIELDS, Article
from indexer.whoosh_adapter.reader import WhooshReader
from indexer.whoosh_adapter.schema import build_schema
from indexer.whoosh_adapter.segments import SegmentBuilder

INDEX_NAME = "MAIN"  # Whoosh's default: a generation holds one index
# Segments with fewer live articles than this are small; when more than MAX_SMALL_SEGMENTS
# of them have piled up (one per update), they are merged into one. Merging re-indexes at
# most MAX_SMALL_SEGMENTS × MERGE_BELOW articles.
MERGE_BELOW = 2_000
MAX_SMALL_SEGMENTS = 8
WHOOSH_POSTINGS = "NABA_WHOOSH_POSTINGS"  # "1": write Whoosh's own postings of the text too


def codec() -> W3Codec:
    """Whoosh's codec with zlib's fastest level on posting blocks: as small as its default
    level 3 on Arabic news, and quicker to write (no compression: ~10% quicker, 40% larger)."""
    return W3Codec(compression=1)


def segment_builder(
    folder: Path, memory_mb: float, include_titles: bool, sign: bool = True
) -> SegmentBuilder:
    """A builder of new segments in the generation at ``folder`` (any process may run it;
    its segments are added with WhooshIndex.add_segments); with ``sign``, it also keeps
    each article's MinHash values (``signed``) for grouping stories. With the environment
    variable NABA_WHOOSH_POSTINGS=1, the text fields also get Whoosh's own postings, so
    that Whoosh's own searcher can search the index (naba never reads them)."""
    return SegmentBuilder(
        FileStorage(str(folder)), INDEX_NAME, build_schema(), codec(), memory_mb,
        include_titles=include_titles, sign=sign,
        whoosh_postings=os.environ.get(WHOOSH_POSTINGS) == "1",
    )  # fmt: skip


class WhooshIndex:
    """The Whoosh index of one generation, as naba writes it."""

    def __init__(self, ix: whoosh_index.Index) -> None:
        self._ix = ix
        self.folder = Path(ix.storage.folder)

    @classmethod
    def create(cls, folder: Path) -> WhooshIndex:
        """An empty index in the (empty) generation folder."""
        return cls(whoosh_index.create_in(str(folder), build_schema(), indexname=INDEX_NAME))

    @classmethod
    def open(cls, folder: Path) -> WhooshIndex:
        """The index of a generation folder."""
        return cls(whoosh_index.open_dir(str(folder), indexname=INDEX_NAME))

    def documents(self) -> int:
        """The live articles of the index as now committed."""
        return self._ix.doc_count()

    def reader(self) -> WhooshReader:
        """The generation as it is now committed."""
        return WhooshReader(self.folder)

    def add_segments(self, segments: Iterable) -> None:
        """Add segments written by segment builders, after the index's own (whose document
        numbers stay), in one new TOC."""
        segments = list(segments)
        self._write_toc(lambda existing: [*existing, *segments])

    def delete(self, docnums: Iterable[int]) -> None:
        """Mark these document numbers deleted, in one new TOC (no segment is rewritten)."""
        wanted = sorted(set(docnums))
        if not wanted:
            return

        def mark(existing: list) -> list:
            start = 0
            for segment in existing:
                end = start + segment.doc_count_all()
                for docnum in wanted:
                    if start <= docnum < end:
                        segment.delete_document(docnum - start)
                start = end
            return existing

        self._write_toc(mark)

    def merge_small_segments(self, memory_mb: float) -> int:
        """Re-index the live articles of the small segments into one, when more than
        MAX_SMALL_SEGMENTS of them have piled up (so the number of segments, and of open
        files, stays bounded however many updates come); returns how many were merged."""
        merged = {
            segment.segment_id()
            for segment in self._ix._read_toc().segments
            if segment.doc_count() < MERGE_BELOW  # live articles
        }
        if len(merged) <= MAX_SMALL_SEGMENTS:
            return 0  # decided from the TOC alone: most updates open no reader here
        reader = self.reader()
        try:
            small = [segment for segment in reader.segments if segment.segment_id in merged]
            builder = segment_builder(self.folder, memory_mb, include_titles=True, sign=False)
            for segment in small:  # titles left out of the build are not stored either
                for docnum in range(segment.offset, segment.offset + segment.size):
                    if reader.live[docnum]:
                        builder.add(*_stored_article(reader.stored_fields(docnum)))
            written = builder.finish()
        finally:
            reader.close()
        self._write_toc(
            lambda existing: [s for s in existing if s.segment_id() not in merged] + written
        )
        return len(merged)

    def _write_toc(self, change) -> None:
        lock = self._ix.lock("WRITELOCK")
        if not lock.acquire(blocking=False):
            raise IndexBusyError(
                f"the index in {self.folder} is being written by another process",
                f"عملية أخرى تكتب في الفهرس في {self.folder}",
            )
        try:
            toc = self._ix._read_toc()
            generation = toc.generation + 1
            segments = change(list(toc.segments))
            TOC(self._ix.schema, segments, generation).write(self._ix.storage, INDEX_NAME)
            clean_files(self._ix.storage, INDEX_NAME, generation, segments)
        finally:
            lock.release()


def _stored_article(fields: dict) -> tuple[Article, int]:
    """The article a document was made from, and its place in the builds (``seq``)."""
    values = {name: fields.get(name, "") for name in FIELDS}
    return Article(**values, origin=f"index:{values['id']}"), fields["seq"]
