"""Stories: near-duplicate articles (a wire story re-published, a copy under a second id)
grouped at index time, so that searches can show and count a story once.

Each article's body, as naba's index terms, is cut into overlapping shingles of
``SHINGLE_WORDS`` terms; a MinHash of those (datasketch) estimates how much two articles
share, and LSH banding (the bands datasketch's MinHashLSH uses, done over the whole array
of signatures at once) finds the articles that may share at least ``THRESHOLD`` of their
shingles without comparing every pair. Articles join stories in the order the builds
wrote them (their seq): an article joins the story of the earlier article it shares the
most with, at or above the threshold, or begins a story of its own. A story's key is the
seq of the article that began it, so the keys of the articles already indexed never
change: an update only adds articles to stories, and a deletion only removes them.

A generation keeps, in ``stories.npz``, every live article's seq, story key and MinHash
values; an update bands them with the new articles' to place those. Only the low 16 bits
of each value are kept (b-bit minwise hashing, Li and König, 2010): two articles' values
then agree by chance once in 65,536 instead of once in four billion, which moves a share
of 0.4 by less than 0.00001, and the signatures, the largest part of the file, take half
the room. (On the corpora the stories are the same as with whole values; with 8 bits,
31 articles of 61,368 joined a story they share 0.31-0.55 with.)
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

STORIES_FILE = "stories.npz"
SHINGLE_WORDS = 5  # terms in a shingle: a sentence fragment, not a topic word
# An article with fewer index terms stands alone: its few shingles cannot tell a copy from
# two briefs that share one sentence.
MIN_TERMS = 20
PERMUTATIONS = 128
SIGNATURE_DTYPE = np.uint16  # the low bits of each MinHash value (older files' read so)
THRESHOLD = 0.4  # estimated Jaccard similarity of the shingles (see bench/stories.py)
# LSH bands and rows: what datasketch's MinHashLSH chooses for THRESHOLD at PERMUTATIONS
# (MinHashLSH(threshold=0.4, num_perm=128) gives b=32, r=4), given to skip its search.
LSH_PARAMS = (32, 4)
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
    ``keys`` beside them, and the MinHash values of each (a zero row: none)."""

    seqs: np.ndarray  # int64
    keys: np.ndarray  # int64: the seq of the article that began the story
    signatures: np.ndarray  # SIGNATURE_DTYPE, one row of PERMUTATIONS per article

    @classmethod
    def empty(cls) -> Stories:
        return cls(
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
            np.zeros((0, PERMUTATIONS), dtype=SIGNATURE_DTYPE),
        )

    @classmethod
    def load(cls, generation: Path) -> Stories | None:
        """The stories kept in a generation, or None when it has none (an older naba)."""
        path = Path(generation) / STORIES_FILE
        if not path.exists():
            return None
        with np.load(path) as saved:
            return cls(saved["seqs"], saved["keys"], _low_bits(saved["signatures"]))

    def save(self, generation: Path) -> None:
        """Write the stories into ``generation`` (replacing its file in one rename)."""
        path = Path(generation) / STORIES_FILE
        partial = path.with_name(f".{path.name}.partial.npz")
        np.savez(partial, seqs=self.seqs, keys=self.keys, signatures=self.signatures)
        partial.replace(path)

    def __len__(self) -> int:
        return len(self.seqs)

    def key_of(self, seqs: np.ndarray) -> np.ndarray:
        """The story key of each of these seqs (its own seq for one the stories lack)."""
        return _keys_of(self.seqs, self.keys, seqs)

    def keep(self, seqs: Iterable[int]) -> Stories:
        """The stories of these seqs only (what is left after deletions)."""
        wanted = np.isin(self.seqs, np.fromiter(seqs, dtype=np.int64))
        return Stories(self.seqs[wanted], self.keys[wanted], self.signatures[wanted])

    def without(self, seqs: Iterable[int]) -> Stories:
        """The stories less these seqs (articles deleted or replaced)."""
        dropped = np.isin(self.seqs, np.fromiter(seqs, dtype=np.int64))
        return Stories(self.seqs[~dropped], self.keys[~dropped], self.signatures[~dropped])

    def extend(self, signed: Iterable[Signed] | SignatureLog) -> Stories:
        """These stories with more articles placed in them, in seq order (each seq greater
        than every seq already here): each joins the story of the earlier article whose
        signature shares the most values with its own, at THRESHOLD or more, among the
        candidates that LSH banding proposes; the keys already given never change."""
        log = signed if isinstance(signed, SignatureLog) else SignatureLog(signed)
        if not len(log):
            return self
        added, values = log.arrays()
        order = np.argsort(added, kind="stable")
        first_new = len(self.seqs)
        signatures = np.empty((first_new + len(added), PERMUTATIONS), dtype=SIGNATURE_DTYPE)
        signatures[:first_new] = self.signatures
        np.take(values, order, axis=0, out=signatures[first_new:])
        seqs = np.concatenate([self.seqs, added[order]])
        best = _best_earlier(signatures, first_new)
        keys = np.concatenate([self.keys, seqs[first_new:]])
        for row in range(first_new, len(seqs)):  # in seq order: an earlier key is known
            if best[row] >= 0:
                keys[row] = keys[best[row]]
        return Stories(seqs, keys, signatures)


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


def candidate_pairs(signatures: np.ndarray, first_new: int = 0) -> np.ndarray:
    """(later, earlier) rows whose signatures agree on every value of at least one band of
    LSH_PARAMS (the pairs datasketch's MinHashLSH puts in one bucket), the later row from
    ``first_new`` on; rows of zeros (no signature) are never candidates. Vectorized over
    the signature array: a build or update bands every article at once."""
    signed = np.flatnonzero(signatures.any(axis=1))
    found = [_band_pairs(signatures, signed, band) for band in range(LSH_PARAMS[0])]
    pairs = np.concatenate([np.zeros((0, 2), dtype=np.int64), *found])
    return np.unique(pairs[pairs[:, 0] >= first_new], axis=0)


def _band_pairs(signatures: np.ndarray, rows: np.ndarray, band: int) -> np.ndarray:
    """(later, earlier) pairs of ``rows`` (ascending) that agree on every value of one band."""
    if len(rows) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    width = LSH_PARAMS[1]
    values = signatures[rows, band * width : (band + 1) * width]
    order = np.lexsort((rows, *values.T[::-1]))  # equal bands together, earliest first
    values, members = values[order], rows[order]
    same = (values[1:] == values[:-1]).all(axis=1)
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    sizes = np.diff(np.concatenate((starts, [len(members)])))
    two = starts[sizes == 2]  # most buckets: one pair, taken at once
    found = [np.stack([members[two + 1], members[two]], axis=1)]
    for start, size in zip(starts[sizes > 2], sizes[sizes > 2], strict=True):
        bucket = members[start : start + min(size, MAX_BUCKET)]
        later, earlier = np.triu_indices(len(bucket), k=1)[::-1]
        found.append(np.stack([bucket[later], bucket[earlier]], axis=1))
    return np.concatenate(found)


# A band shared by more articles than this pairs only its earliest ones: a flood of one
# template must not make the pairs grow with its square.
MAX_BUCKET = 200


def _best_earlier(signatures: np.ndarray, first_new: int) -> np.ndarray:
    """For each row from ``first_new`` on, the earlier candidate row it shares the most
    signature values with, at THRESHOLD or more (the earliest of equals); -1 for none.

    Exact copies (the same values throughout) come first: each joins the earliest of its
    copies, which no other row can beat, and only the earliest of each set of copies is
    banded. An archive that holds a story many times over then bands it once, and the
    pairs are compared band by band, keeping each row's best so far, so that memory stays
    with one band's pairs.
    """
    best = np.full(len(signatures), -1, dtype=np.int64)
    signed = np.flatnonzero(signatures.any(axis=1))
    if len(signed) < 2:
        return best
    earliest = _earliest_copies(signatures, signed)
    copy = earliest != signed
    placed = copy & (signed >= first_new)
    best[signed[placed]] = earliest[placed]
    distinct = signed[~copy]
    share = np.zeros(len(signatures))  # the best share found so far for each row
    for band in range(LSH_PARAMS[0]):
        pairs = _band_pairs(signatures, distinct, band)
        pairs = pairs[pairs[:, 0] >= first_new]
        if not len(pairs):
            continue
        shares = np.concatenate([
            (signatures[chunk[:, 0]] == signatures[chunk[:, 1]]).mean(axis=1)
            for chunk in np.array_split(pairs, max(1, len(pairs) // 100_000))
        ])  # fmt: skip
        keep = shares >= THRESHOLD
        pairs, shares = pairs[keep], shares[keep]
        order = np.lexsort((pairs[:, 1], -shares, pairs[:, 0]))  # per later row: best, earliest
        pairs, shares = pairs[order], shares[order]
        first = np.concatenate(([True], pairs[1:, 0] != pairs[:-1, 0]))[: len(pairs)]
        rows, earlier, shares = pairs[first, 0], pairs[first, 1], shares[first]
        better = (shares > share[rows]) | ((shares == share[rows]) & (earlier < best[rows]))
        best[rows[better]] = earlier[better]
        share[rows[better]] = shares[better]
    return best


def _earliest_copies(signatures: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each of ``rows`` (ascending), the earliest of them with exactly its values."""
    chunks = [slice(at, at + _CHUNK_ROWS) for at in range(0, len(rows), _CHUNK_ROWS)]
    hashes = np.concatenate([
        (signatures[rows[part]].astype(np.uint64) * _ROW_MULTIPLIERS).sum(axis=1, dtype=np.uint64)
        for part in chunks
    ])  # fmt: skip
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    earliest = rows[first[inverse]]
    same = np.concatenate([
        (signatures[rows[part]] == signatures[earliest[part]]).all(axis=1) for part in chunks
    ])  # fmt: skip
    return np.where(same, earliest, rows)  # a hash shared by two different rows: neither


_CHUNK_ROWS = 8_192  # signature rows compared or hashed at once (4 MB)
# Odd 64-bit multipliers, one per signature value, for hashing a whole row at once.
_ROW_MULTIPLIERS = np.random.default_rng(SEED).integers(
    1, 2**63, PERMUTATIONS, dtype=np.uint64
) | np.uint64(1)
