"""Stories: near-duplicate articles (a wire story re-published, a copy under a second id)
grouped at index time, so that searches can show and count a story once.

Each article's body, as naba's index terms, is cut into overlapping shingles of
``SHINGLE_WORDS`` terms; a MinHash of those (datasketch) estimates how much two articles
share, and LSH banding (indexer/lsh.py: the bands datasketch's MinHashLSH uses, done over
the whole array of signatures at once) finds the articles that may share at least
``THRESHOLD`` of their shingles without comparing every pair. Articles join stories in the
order the builds wrote them (their seq): an article joins the story of the earlier article
it shares the most with, at or above the threshold, or begins a story of its own. A story's
key is the seq of its earliest article (the one that began it).

The stories of an index are always those a fresh build of its live articles, in seq order,
would make: a change recomputes the match of every article it touches (those that matched
an article deleted or replaced, or shared a band with one; an article whose text changed
comes last, with its new seq), and the stories that follow from them. So a deletion may
split a story that its first article, or an article between two others, held together; the
story's key is then the seq of its earliest article left. Counts never depend on the order
of the updates that made an archive.

A generation keeps, in ``stories.npz``, every live article's seq, story key, the seq of the
article it joined (its match) and its MinHash values. Only the low 16 bits of each value are
kept (b-bit minwise hashing, Li and König, 2010): two articles' values then agree by chance
once in 65,536 instead of once in four billion, which moves a share of 0.4 by less than
0.00001, and the signatures, the largest part of the file, take half the room. (On the
corpora the stories are the same as with whole values; with 8 bits, 31 articles of 61,368
joined a story they share 0.31-0.55 with.)
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.lsh import (
    LSH_PARAMS,
    MAX_BUCKET,
    THRESHOLD,
    best_earlier,
    candidate_pairs,
    sharing_a_band,
)

__all__ = ["LSH_PARAMS", "MAX_BUCKET", "THRESHOLD", "Stories", "candidate_pairs", "signature"]

STORIES_FILE = "stories.npz"
SHINGLE_WORDS = 5  # terms in a shingle: a sentence fragment, not a topic word
# An article with fewer index terms stands alone: its few shingles cannot tell a copy from
# two briefs that share one sentence.
MIN_TERMS = 20
PERMUTATIONS = 128
SIGNATURE_DTYPE = np.uint16  # the low bits of each MinHash value (older files' read so)
SEED = 1
SCHEME = "affine32"  # datasketch's permutation scheme: every signature must share it
_PERMUTATION_PARAMETERS = None  # computed once per process


def signature(terms: Sequence[str]) -> np.ndarray | None:
    """The MinHash values (their low 16 bits) of an article's body terms, or None when it
    has too few terms (MIN_TERMS) to be told apart from another: a story of its own."""
    if len(terms) < MIN_TERMS:
        return None
    from datasketch import MinHash  # imported when first needed: it loads scipy (~0.8 s)

    minhash = MinHash(
        num_perm=PERMUTATIONS, seed=SEED, hashfunc=int, permutations=_permutations(),
        scheme=SCHEME,
    )  # fmt: skip
    minhash.update_batch(shingle_hashes(terms).tolist())
    return _low_bits(minhash.hashvalues)


def _low_bits(values: np.ndarray) -> np.ndarray:
    """The values as kept: their low 16 bits (from any unsigned width: older files kept 32)."""
    return (np.asarray(values) & 0xFFFF).astype(SIGNATURE_DTYPE)


def shingle_hashes(terms: Sequence[str]) -> np.ndarray:
    """A 32-bit hash of each run of SHINGLE_WORDS terms: the terms' CRC-32s folded in
    order (vectorized: cheaper than hashing the joined shingles)."""
    words = np.array(list(map(zlib.crc32, map(str.encode, terms))), dtype=np.uint64)
    count = len(terms) - SHINGLE_WORDS + 1
    folded = np.zeros(count, dtype=np.uint64)
    for offset in range(SHINGLE_WORDS):
        folded = (folded * _FOLD + words[offset : offset + count]) & _MASK32
    return folded


_FOLD = np.uint64(0x01000193)  # FNV's 32-bit prime
_MASK32 = np.uint64(0xFFFFFFFF)


def prepare() -> None:
    """Load datasketch now: a build calls this before it starts its workers, which then
    share it instead of each loading it (it brings in scipy, about 0.8 s)."""
    _permutations()


def _permutations():
    global _PERMUTATION_PARAMETERS
    if _PERMUTATION_PARAMETERS is None:
        from datasketch import MinHash

        _PERMUTATION_PARAMETERS = MinHash(
            num_perm=PERMUTATIONS, seed=SEED, scheme=SCHEME
        ).permutations
    return _PERMUTATION_PARAMETERS


Signed = tuple[int, np.ndarray | None]  # (seq, signature) of one article


class SignatureLog:
    """The (seq, signature) of each article a build writes, kept compact: 8 + 256 bytes an
    article and no Python object each (a build of a million articles holds them all, and
    its workers send theirs back whole)."""

    def __init__(self, signed: Iterable[Signed] | SignatureLog = ()) -> None:
        self._seqs = array("q")
        self._values = bytearray()
        self.extend(signed)

    def append(self, pair: Signed) -> None:
        seq, values = pair
        self._seqs.append(seq)
        self._values += _BLANK if values is None else _low_bits(values).tobytes()

    def extend(self, signed: Iterable[Signed] | SignatureLog) -> None:
        if isinstance(signed, SignatureLog):
            self._seqs.extend(signed._seqs)
            self._values += signed._values
        else:
            for pair in signed:
                self.append(pair)

    def __len__(self) -> int:
        return len(self._seqs)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The seqs (int64) and signatures (uint16 rows, zeros for none), as logged: views
        of the log, which takes no more articles while they are held."""
        seqs = np.frombuffer(self._seqs, dtype=np.int64) if self._seqs else np.zeros(0, np.int64)
        values = np.frombuffer(self._values, dtype=SIGNATURE_DTYPE).reshape(-1, PERMUTATIONS)
        return seqs, values


_BLANK = bytes(np.dtype(SIGNATURE_DTYPE).itemsize * PERMUTATIONS)  # no signature: zeros


@dataclass
class Stories:
    """The story of every live article of a generation: ``seqs`` ascending, the story
    ``keys`` beside them, the MinHash values of each (a zero row: none), and the seq of the
    article each joined (``parents``, -1 for one that began its story; None when a file
    of an older naba did not keep them: the next change groups every article afresh)."""

    seqs: np.ndarray  # int64
    keys: np.ndarray  # int64: the seq of the story's earliest article
    signatures: np.ndarray  # SIGNATURE_DTYPE, one row of PERMUTATIONS per article
    parents: np.ndarray | None = None  # int64: the seq of the article it joined, or -1

    @classmethod
    def empty(cls) -> Stories:
        return cls(
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
            np.zeros((0, PERMUTATIONS), dtype=SIGNATURE_DTYPE),
            np.zeros(0, dtype=np.int64),
        )

    @classmethod
    def load(cls, generation: Path) -> Stories | None:
        """The stories kept in a generation, or None when it has none (an older naba)."""
        path = Path(generation) / STORIES_FILE
        if not path.exists():
            return None
        with np.load(path) as saved:
            parents = saved["parents"] if "parents" in saved.files else None
            return cls(saved["seqs"], saved["keys"], _low_bits(saved["signatures"]), parents)

    def save(self, generation: Path) -> None:
        """Write the stories into ``generation`` (replacing its file in one rename)."""
        path = Path(generation) / STORIES_FILE
        partial = path.with_name(f".{path.name}.partial.npz")
        kept = {"parents": self.parents} if self.parents is not None else {}
        np.savez(partial, seqs=self.seqs, keys=self.keys, signatures=self.signatures, **kept)
        partial.replace(path)

    def __len__(self) -> int:
        return len(self.seqs)

    def key_of(self, seqs: np.ndarray) -> np.ndarray:
        """The story key of each of these seqs (its own seq for one the stories lack)."""
        return _keys_of(self.seqs, self.keys, seqs)

    def extend(self, signed: Iterable[Signed] | SignatureLog) -> Stories:
        """These stories with more articles, each after every article here."""
        return self.changed((), signed)

    def changed(
        self, removed: Iterable[int] = (), added: Iterable[Signed] | SignatureLog = ()
    ) -> Stories:
        """The stories once the articles of seqs ``removed`` are gone and those ``added``
        ((seq, MinHash values) each, a removed seq among them left out: a dropped copy of a
        repeated id) are in: those of a fresh build of the articles left, in seq order.

        Only the articles the change touches are matched again: the added ones, those after
        the first of them, those that matched a removed article or share a band with one
        (indexer/lsh.py); every other article keeps its match. Keys then follow the matches
        to each story's earliest article."""
        gone = np.fromiter(removed, dtype=np.int64)
        log = added if isinstance(added, SignatureLog) else SignatureLog(added)
        new_seqs, new_values = log.arrays()
        old_rows = np.flatnonzero(~np.isin(self.seqs, gone))
        new_rows = np.flatnonzero(~np.isin(new_seqs, gone))
        new_rows = new_rows[np.argsort(new_seqs[new_rows], kind="stable")]
        first_new = len(old_rows)
        seqs = np.concatenate([self.seqs[old_rows], new_seqs[new_rows]])
        # One array for the signatures, filled in place: a build of a million articles
        # holds 256 MB of them, and a copy more would be as large again.
        signatures = np.empty((len(seqs), PERMUTATIONS), dtype=SIGNATURE_DTYPE)
        np.take(self.signatures, old_rows, axis=0, out=signatures[:first_new])
        np.take(new_values, new_rows, axis=0, out=signatures[first_new:])
        parents = np.full(len(seqs), -1, dtype=np.int64)
        wanted = np.ones(len(seqs), dtype=bool)
        if self.parents is not None:  # else: every article matched afresh
            parents[:first_new] = self.parents[old_rows]
            wanted[:first_new] = np.isin(parents[:first_new], gone)
            removed_rows = np.setdiff1d(np.arange(len(self.seqs)), old_rows)
            wanted |= sharing_a_band(signatures, self.signatures[removed_rows])
        if first_new and len(seqs) > first_new and seqs[first_new] < seqs[first_new - 1]:
            # Added articles before some kept ones (not what builds do): in seq order, and
            # every article after the first added one matched again.
            order = np.argsort(seqs, kind="stable")
            seqs, signatures, parents, wanted = (
                seqs[order], signatures[order], parents[order], wanted[order]
            )  # fmt: skip
            wanted[int(np.argmax(order >= first_new)) :] = True
        best = best_earlier(signatures, wanted)
        parents[wanted] = np.where(best[wanted] >= 0, seqs[best[wanted]], -1)
        return Stories(seqs, _earliest_of_each(seqs, parents), signatures, parents)

    def moved_from(self, before: Stories) -> tuple[np.ndarray, np.ndarray]:
        """The seqs whose story key differs from their key in ``before`` (an article
        ``before`` lacks was a story of its own), and their keys here: the documents a
        change must write again."""
        moved = before.key_of(self.seqs) != self.keys
        return self.seqs[moved], self.keys[moved]


def _earliest_of_each(seqs: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """Each article's story key: the seq its matches lead back to (every match is earlier,
    so that is its story's earliest article), followed by pointer jumping."""
    rows = np.arange(len(seqs))
    place = np.searchsorted(seqs, parents).clip(0, max(len(seqs) - 1, 0))
    joined = (parents >= 0) & (seqs[place] == parents) if len(seqs) else parents >= 0
    up = np.where(joined, place, rows)
    while True:
        further = up[up]
        if np.array_equal(further, up):
            return seqs[up]
        up = further


def story_keys(generation: Path, seqs: np.ndarray) -> np.ndarray | None:
    """The story key of each of these seqs as a generation keeps them (its own seq for one
    they lack), without reading the signatures (what searches need); None when the
    generation has no stories (an older naba)."""
    path = Path(generation) / STORIES_FILE
    if not path.exists():
        return None
    with np.load(path) as saved:
        return _keys_of(saved["seqs"], saved["keys"], seqs)


def _keys_of(story_seqs: np.ndarray, keys: np.ndarray, seqs: np.ndarray) -> np.ndarray:
    seqs = np.asarray(seqs, dtype=np.int64)
    if not len(story_seqs):
        return seqs.copy()
    place = np.searchsorted(story_seqs, seqs).clip(0, len(story_seqs) - 1)
    return np.where(story_seqs[place] == seqs, keys[place], seqs)
