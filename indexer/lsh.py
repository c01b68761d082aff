"""LSH banding over the MinHash signatures of stories (indexer/stories.py): which articles may
be near-duplicates, and the earlier article each one shares the most with.

The rule a fresh build follows, and every change of an index repeats for the articles it
touches: an article's best earlier match is the earlier article whose signature shares the
most values with its own, at THRESHOLD or more, among the candidates LSH banding proposes
(the earliest of equals); an exact copy's is the earliest of its copies. It depends only on
the articles before it, so an article keeps its match unless a change removes that match or
a band it shares (see ``sharing_a_band``).
"""

from __future__ import annotations

import numpy as np

THRESHOLD = 0.4  # estimated Jaccard similarity of the shingles (see bench/stories.py)
# LSH bands and rows: what datasketch's MinHashLSH chooses for THRESHOLD at 128 permutations
# (MinHashLSH(threshold=0.4, num_perm=128) gives b=32, r=4), given to skip its search.
LSH_PARAMS = (32, 4)
assert LSH_PARAMS[1] * 16 == 64, "a band of 16-bit values is read as one 64-bit number"
# A band shared by more articles than this pairs only its earliest ones: a flood of one
# template must not make the pairs grow with its square.
MAX_BUCKET = 200
_CHUNK_ROWS = 8_192  # signature rows compared or hashed at once (4 MB)


def candidate_pairs(signatures: np.ndarray, first_new: int = 0) -> np.ndarray:
    """(later, earlier) rows whose signatures agree on every value of at least one band of
    LSH_PARAMS (the pairs datasketch's MinHashLSH puts in one bucket), the later row from
    ``first_new`` on; rows of zeros (no signature) are never candidates. Vectorized over
    the signature array: a build or update bands every article at once."""
    signed = np.flatnonzero(signatures.any(axis=1))
    found = [_band_pairs(signatures, signed, band) for band in range(LSH_PARAMS[0])]
    pairs = np.concatenate([np.zeros((0, 2), dtype=np.int64), *found])
    return np.unique(pairs[pairs[:, 0] >= first_new], axis=0)


def best_earlier(signatures: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """For each ``wanted`` row (a mask), its best earlier match (a row), -1 for none; -1 for
    the rows not wanted. A few rows are matched among the rows that share a band with them
    only (the rest cannot be their candidates, nor change which of their candidates are
    copies or fill their buckets): the same answer as banding every row, for a fraction of
    the cost."""
    best = np.full(len(signatures), -1, dtype=np.int64)
    if not wanted.any():
        return best
    if wanted.all():
        return _best_earlier(signatures, wanted)
    near = np.flatnonzero(wanted | sharing_a_band(signatures, signatures[wanted]))
    found = _best_earlier(signatures[near], wanted[near])
    best[near] = np.where(found >= 0, near[found], -1)
    return best


def sharing_a_band(signatures: np.ndarray, probes: np.ndarray) -> np.ndarray:
    """A mask of the signed rows of ``signatures`` that agree with some signed row of
    ``probes`` on every value of a band: the rows whose candidates, copies or buckets those
    rows can change."""
    found = np.zeros(len(signatures), dtype=bool)
    probes = probes[probes.any(axis=1)]
    if not len(probes) or not len(signatures):
        return found
    bands, probe_bands = _bands(signatures), _bands(probes)
    for band in range(LSH_PARAMS[0]):
        found |= np.isin(bands[:, band], probe_bands[:, band])
    return found & signatures.any(axis=1)


def _bands(signatures: np.ndarray) -> np.ndarray:
    """Each row's bands as one 64-bit number each: a band's four 16-bit values as they lie
    in memory (a view, no copy, of C-ordered signatures)."""
    return np.ascontiguousarray(signatures, dtype=np.uint16).view(np.uint64)


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


def _best_earlier(signatures: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """For each ``wanted`` row, the earlier candidate row it shares the most signature
    values with, at THRESHOLD or more (the earliest of equals); -1 for none.

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
    placed = copy & wanted[signed]
    best[signed[placed]] = earliest[placed]
    distinct = signed[~copy]
    share = np.zeros(len(signatures))  # the best share found so far for each row
    for band in range(LSH_PARAMS[0]):
        pairs = _band_pairs(signatures, distinct, band)
        pairs = pairs[wanted[pairs[:, 0]]]
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
    multipliers = _row_multipliers(signatures.shape[1])
    chunks = [slice(at, at + _CHUNK_ROWS) for at in range(0, len(rows), _CHUNK_ROWS)]
    hashes = np.concatenate([
        (signatures[rows[part]].astype(np.uint64) * multipliers).sum(axis=1, dtype=np.uint64)
        for part in chunks
    ])  # fmt: skip
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    earliest = rows[first[inverse]]
    same = np.concatenate([
        (signatures[rows[part]] == signatures[earliest[part]]).all(axis=1) for part in chunks
    ])  # fmt: skip
    return np.where(same, earliest, rows)  # a hash shared by two different rows: neither


def _row_multipliers(width: int) -> np.ndarray:
    """Odd 64-bit multipliers, one per signature value, for hashing a whole row at once."""
    return np.random.default_rng(1).integers(1, 2**63, width, dtype=np.uint64) | np.uint64(1)
