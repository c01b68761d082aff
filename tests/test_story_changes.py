"""Stories after deletions and changes are those of a fresh build of the same articles in the
same order, on both backends: the story of every article, the counts of stories, the chart,
the sources and "+N similar" never depend on the order of the updates that made an archive.

The fixture is a few hundred articles in real Arabic word forms (naba's lexicon) with
near-duplicates built on purpose: hubs (two copies that share little with each other, each
much with the article they copied), chains (each article shares much with the one before it,
little with the one before that), exact copies, and articles that could join either of two
stories. A test on real articles of ../shared/corpus follows when it is there.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib import resources
from itertools import islice

import numpy as np
import pytest

from indexer import build_index, delete_documents, update_index
from indexer.analysis import analyze
from indexer.store import current_generation
from search import Searcher
from tests.conftest import BACKENDS, require_xapian, shared_file, write_jsonl

SOURCES = ("was", "okaz", "alriyadh", "sabq", "alyaum")
HUBS, CHAINS, COPY_SETS, FORKS, BRIDGES, ALONE = 8, 8, 4, 6, 4, 150


@cache
def vocabulary() -> tuple[str, ...]:
    """Real Arabic word forms from naba's lexicon, most frequent first, each its own index
    term (so that texts drawn from them have the shingles they are built to have)."""
    rows = []
    with resources.files("indexer").joinpath("data/lexicon-ar.tsv.gz").open("rb") as raw:
        for line in gzip.open(raw, "rt", encoding="utf-8"):
            form, alone, behind = line.rstrip("\n").split("\t")
            if form.isalpha():
                rows.append((-(int(alone) + int(behind)), form))
    words, terms = [], set()
    for _, form in sorted(rows)[:6000]:
        analyzed = analyze(form)
        if len(analyzed) == 1 and analyzed[0] not in terms:
            terms.add(analyzed[0])
            words.append(form)
    return tuple(words)


class Writer:
    """Articles drawn at random (Zipf-like, as news words are), one source and day each."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        words = vocabulary()
        weights = 1 / (np.arange(len(words)) + 10)
        self.words, self.weights = np.array(words), weights / weights.sum()

    def words_of(self, count: int) -> list[str]:
        return self.words[self.rng.choice(len(self.words), count, p=self.weights)].tolist()

    def article(self, doc_id: str, words: list[str]) -> dict:
        return {"id": doc_id, "source": SOURCES[int(self.rng.integers(len(SOURCES)))],
                "date": f"2015-08-{int(self.rng.integers(1, 21)):02d}",
                "title": " ".join(words[:6]), "body": " ".join(words)}  # fmt: skip


def fixture_articles(seed: int = 34) -> list[dict]:
    """The articles in build order (shuffled, the near-duplicates of each group in order)."""
    write = Writer(seed)
    groups: list[list[dict]] = []
    for n in range(HUBS):  # hub-N-x and hub-N-y share 0.55 with hub-N, 0.2 with each other
        base = write.words_of(100)
        groups.append([write.article(f"hub-{n}", base),
                       write.article(f"hub-{n}-x", base[:65] + write.words_of(5)),
                       write.article(f"hub-{n}-y", base[35:] + write.words_of(5))])  # fmt: skip
    for n in range(CHAINS):  # each shares 0.52 with the one before, 0.23 with the one before it
        base = write.words_of(190)
        groups.append([write.article(f"chain-{n}-{part}", base[30 * at : 30 * at + 100])
                       for at, part in enumerate("abcd")])  # fmt: skip
    for n in range(COPY_SETS):  # the same dispatch four times, and a longer version
        base = write.words_of(80)
        groups.append([*(write.article(f"copy-{n}-{k}", base) for k in range(4)),
                       write.article(f"copy-{n}-long", base + write.words_of(20))])  # fmt: skip
    for n in range(FORKS):  # fork-N-z could join either fork-N-w's story or fork-N-h's
        first, second = write.words_of(50), write.words_of(50)
        groups.append([write.article(f"fork-{n}-w", first),
                       write.article(f"fork-{n}-h", second),
                       write.article(f"fork-{n}-z", second[:50] + first[:45])])  # fmt: skip
    groups += [[write.article(f"alone-{n}", write.words_of(int(write.rng.integers(30, 120))))]
               for n in range(ALONE)]  # fmt: skip
    labels = [number for number, group in enumerate(groups) for _ in group]
    write.rng.shuffle(labels)  # the groups interleaved, each one's articles in their order
    members = [iter(group) for group in groups]
    return [next(members[number]) for number in labels]


def bridges(write: Writer, count: int) -> tuple[list[dict], list[dict]]:
    """Pairs that a repeated id's dropped copy would join: (the earlier article and the
    dropped copy), (the later article and the copy kept) for each."""
    early, late = [], []
    for n in range(count):
        base = write.words_of(160)
        early += [write.article(f"bridge-{n}-p", base[:100]),
                  write.article(f"twice-{n}", base[30:130])]  # fmt: skip
        late += [write.article(f"bridge-{n}-q", base[60:160]),
                 write.article(f"twice-{n}", write.words_of(90))]  # fmt: skip
    return early, late


def build(articles: list[dict], folder, backend: str):
    """A real index of ``articles`` (written in this order) on ``backend``."""
    if backend == "xapian":
        require_xapian()
    folder.mkdir(parents=True, exist_ok=True)
    source = write_jsonl(folder / "articles.jsonl", articles)
    build_index([source], folder / "index", backend=backend, processes=1,
                shards=2 if backend == "xapian" else 1)  # fmt: skip
    return folder / "index"


def stories_in(index) -> dict[str, tuple[int, int]]:
    """Every live article's (seq, story key), as the index's documents hold them."""
    generation = current_generation(index)
    meta = json.loads((generation / "naba.json").read_text("utf-8"))
    if meta.get("backend") == "xapian":
        return _xapian_stories(generation, int(meta["shards"]))
    from indexer.whoosh_adapter import WhooshIndex

    reader = WhooshIndex.open(generation).reader()
    try:
        seqs, keys = reader.seqs(), reader.stories()
        return {reader.stored_fields(doc)["id"]: (int(seqs[doc]), int(keys[doc]))
                for doc in np.flatnonzero(reader.live)}  # fmt: skip
    finally:
        reader.close()


def _xapian_stories(generation, shards: int) -> dict[str, tuple[int, int]]:
    import xapian

    from indexer.xapian_adapter.documents import SLOT_SEQ, SLOT_STORY, SLOT_STORY_SOURCE

    found = {}
    for number in range(shards):
        database = xapian.Database(str(generation / f"shard-{number:03d}"))
        for item in database.postlist(""):
            document = database.get_document(item.docid)
            key = int(document.get_value(SLOT_STORY).decode(), 16)
            seq = int(xapian.sortable_unserialise(document.get_value(SLOT_SEQ)))
            fields = json.loads(document.get_data().decode("utf-8"))
            # The key and source the counts read agree with the key results collapse on.
            assert document.get_value(SLOT_STORY_SOURCE).decode() == f"{key} {fields['source']}"
            found[fields["id"]] = (seq, key)
        database.close()
    return found


def partition(index) -> dict[str, frozenset[str]]:
    """Each live article's story as the ids of its articles; each story's key is the seq of
    its earliest article (naba's rule, the same after any change as in a fresh build)."""
    stories: dict[int, set[str]] = {}
    seqs = stories_in(index)
    for doc_id, (_, key) in seqs.items():
        stories.setdefault(key, set()).add(doc_id)
    for key, members in stories.items():
        assert key == min(seqs[doc_id][0] for doc_id in members), sorted(members)
    return {doc_id: frozenset(members) for members in stories.values() for doc_id in members}


def queries() -> list[str]:
    """Searches that match many of the fixture's articles, some with every word, some not."""
    words = vocabulary()
    return [words[0], words[3], words[25], f"{words[1]} {words[40]}", f"{words[8]} {words[90]}"]


def counts(index, story_of: dict[str, frozenset[str]], asked: list[str]) -> dict:
    """What a researcher reads off each search: stories and the articles in them, the
    chart, the sources, and each story's "+N similar" (by the story's articles: which of
    them is shown first follows the scores, which deletions may move)."""
    seen = {}
    with Searcher(index) as searcher:
        for query in asked:
            first = searcher.search(query, per_page=100, interval="day", highlight=False)
            hits = list(first.hits)
            for page in range(2, first.pages + 1):
                hits += searcher.search(query, page=page, per_page=100, interval="day",
                                        highlight=False).hits  # fmt: skip
            seen[query] = {
                "total": first.total, "articles": first.articles, "partial": first.partial,
                "chart": [(b.start, b.count) for b in first.series.buckets],
                "undated": first.series.undated,
                "sources": sorted((item.source, item.count) for item in first.sources),
                "similar": sorted((sorted(story_of[hit.id]), hit.similar) for hit in hits),
            }  # fmt: skip
    return seen


def assert_as_fresh(index, live: list[dict], folder, backend: str) -> dict:
    """The index's stories and counts equal those of a fresh build of ``live`` (its
    articles in their order); returns the partition."""
    fresh = build(live, folder, backend)
    expected, found = partition(fresh), partition(index)
    assert set(found) == {article["id"] for article in live}
    differing = sorted(doc_id for doc_id in expected if found[doc_id] != expected[doc_id])
    assert not differing, [(d, sorted(found[d]), sorted(expected[d])) for d in differing[:5]]
    asked = queries()
    assert counts(index, found, asked) == counts(fresh, expected, asked)
    return expected


def _together(story_of, *ids: str) -> bool:
    return all(story_of[doc_id] == story_of[ids[0]] for doc_id in ids)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_repeated_id_s_dropped_copy_joins_no_two_stories(tmp_path, backend):
    """Within a build the last copy of an id wins; the earlier copy, gone from the index,
    must not have bridged the articles before and after it into one story."""
    write = Writer(7)
    early, late = bridges(write, BRIDGES)
    articles = fixture_articles()
    sources = [*articles[:100], *early, *articles[100:200], *late, *articles[200:]]
    index = build(sources, tmp_path / "built", backend)
    kept = {article["id"]: n for n, article in enumerate(sources)}  # the last copy of each
    live = [article for n, article in enumerate(sources) if kept[article["id"]] == n]
    story_of = assert_as_fresh(index, live, tmp_path / "fresh", backend)
    assert not any(_together(story_of, f"bridge-{n}-p", f"bridge-{n}-q") for n in range(BRIDGES))


@pytest.mark.parametrize("backend", BACKENDS)
def test_deletions_leave_the_stories_of_a_fresh_build(tmp_path, backend):
    articles = fixture_articles()
    index = build(articles, tmp_path / "built", backend)
    story_of = partition(index)
    # As built: each group is one story (the forks' third joined one of the two).
    assert all(_together(story_of, f"hub-{n}", f"hub-{n}-x", f"hub-{n}-y") for n in range(HUBS))
    assert all(_together(story_of, *(f"chain-{n}-{p}" for p in "abcd")) for n in range(CHAINS))
    gone = {
        *(f"hub-{n}" for n in range(HUBS)),  # the article that began the story
        *(f"chain-{n}-a" for n in range(0, CHAINS, 2)),  # began it
        *(f"chain-{n}-b" for n in range(1, CHAINS, 2)),  # linked its first to the rest
        *(f"copy-{n}-0" for n in range(COPY_SETS)),  # the first of four copies
        *(f"fork-{n}-h" for n in range(FORKS)),
        "alone-3", "alone-40", "no-such-article",
    }  # fmt: skip
    report = delete_documents(sorted(gone), index)
    assert report.missing == ["no-such-article"]
    live = [article for article in articles if article["id"] not in gone]
    story_of = assert_as_fresh(index, live, tmp_path / "fresh", backend)
    # What the fresh build does with them: the hubs' copies and the split chains apart.
    assert not any(_together(story_of, f"hub-{n}-x", f"hub-{n}-y") for n in range(HUBS))
    assert not any(_together(story_of, f"chain-{n}-a", f"chain-{n}-c")
                   for n in range(1, CHAINS, 2))  # fmt: skip
    assert all(_together(story_of, f"chain-{n}-b", f"chain-{n}-d") for n in range(0, CHAINS, 2))
    assert all(_together(story_of, *(f"copy-{n}-{k}" for k in (1, 2, 3))) for n in range(COPY_SETS))
    assert any(_together(story_of, f"fork-{n}-w", f"fork-{n}-z") for n in range(FORKS))


@pytest.mark.parametrize("backend", BACKENDS)
def test_changed_texts_and_later_deletions_leave_the_stories_of_a_fresh_build(tmp_path, backend):
    """An article whose text changes moves to the end of the build order with its new text
    (as a fresh build of the archive in seq order has it); its old story regroups without it."""
    articles = fixture_articles()
    index = build(articles, tmp_path / "built", backend)
    by_id = {article["id"]: article for article in articles}
    write = Writer(11)
    changed = [
        *({**by_id[f"hub-{n}"], "body": " ".join(write.words_of(90))} for n in range(0, HUBS, 2)),
        *({**by_id[f"chain-{n}-b"], "body": " ".join(write.words_of(90))} for n in range(CHAINS)),
        {**by_id["alone-7"], "body": by_id["hub-1-x"]["body"]},  # now a copy of a story
        write.article("new-1", by_id["fork-2-h"]["body"].split()),  # a new copy
    ]
    update_index([write_jsonl(tmp_path / "changed.jsonl", changed)], index)
    live = [article for article in articles if article["id"] not in {a["id"] for a in changed}]
    live += changed
    story_of = assert_as_fresh(index, live, tmp_path / "fresh-1", backend)
    assert not any(_together(story_of, f"hub-{n}-x", f"hub-{n}-y") for n in range(0, HUBS, 2))
    assert _together(story_of, "alone-7", "hub-1-x")
    gone = {"hub-1", "chain-3-c", "copy-2-0", "new-1"}
    delete_documents(sorted(gone), index)
    live = [article for article in live if article["id"] not in gone]
    assert_as_fresh(index, live, tmp_path / "fresh-2", backend)


def corpus_articles(first: int, count: int, body_chars: int = 1500) -> list[dict]:
    """``count`` articles of the SaudiNewsNet corpus from its line ``first`` on, each body
    cut to its first ``body_chars`` characters (copies share their openings; the builds take
    half the time); skips the test when ../shared is absent."""
    path = shared_file("corpus", "snn2015.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        articles = [json.loads(line) for line in islice(lines, first, first + count)]
    return [article | {"body": article["body"][:body_chars]} for article in articles]


@pytest.mark.parametrize("backend", BACKENDS)
def test_real_articles_regroup_as_a_fresh_build_after_their_stories_first_articles_go(
    tmp_path, backend
):
    # A stretch where the outlets ran the same dispatches: 74 stories of two articles or
    # more, 14 of three or more, in 600 articles (the first 1,200 hold 46 and 6).
    articles = corpus_articles(7200, 600)
    index = build(articles, tmp_path / "built", backend)
    story_of = partition(index)
    seqs = stories_in(index)
    stories = set(story_of.values())
    heads = sorted(min(group, key=lambda d: seqs[d][0]) for group in stories if len(group) > 1)
    assert sum(len(members) > 2 for members in stories) >= 5, "too few stories of 3 articles"
    delete_documents(heads, index)
    live = [article for article in articles if article["id"] not in set(heads)]
    assert_as_fresh(index, live, tmp_path / "fresh", backend)


def _random_signatures(rng: np.random.Generator, count: int) -> dict[int, np.ndarray]:
    """Signatures with near copies (a share of a random earlier one's values), exact copies,
    articles too short for one, and a flood of more distinct rows than one LSH bucket pairs
    (all alike on one band), as the seqs 0 … of a build."""
    from indexer.stories import MAX_BUCKET, PERMUTATIONS

    rows: list[np.ndarray] = []
    for _ in range(count):
        kind = rng.random()
        if rows and kind < 0.45:
            row = rows[int(rng.integers(len(rows)))].copy()
            if rng.random() < 0.8:
                change = rng.random(PERMUTATIONS) < rng.uniform(0.1, 0.8)
                row[change] = rng.integers(1, 2**16, int(change.sum()))
        elif kind < 0.5:
            row = np.zeros(PERMUTATIONS, dtype=np.uint16)
        else:
            row = rng.integers(1, 2**16, PERMUTATIONS).astype(np.uint16)
        rows.append(row)
    flood = rng.integers(1, 2**16, PERMUTATIONS).astype(np.uint16)
    for _ in range(MAX_BUCKET + 30):
        row = flood.copy()
        change = rng.random(PERMUTATIONS) < 0.5
        change[:4] = False  # the first band alike
        row[change] = rng.integers(1, 2**16, int(change.sum()))
        rows.insert(int(rng.integers(len(rows) + 1)), row)
    return dict(enumerate(rows))


@pytest.mark.parametrize("seed", range(3))
def test_stories_changed_step_by_step_equal_the_stories_grouped_afresh(seed):
    """Deletions (a flood's first rows among them), additions and dropped copies, six
    times over: after each, every article's match and story key are those of grouping
    the articles left from scratch."""
    from indexer.stories import Stories

    rng = np.random.default_rng(seed)
    values = _random_signatures(rng, 300)
    live = sorted(values)
    stories = Stories.empty().extend([(seq, values[seq]) for seq in live])
    for _ in range(6):
        gone = {*rng.choice(live, int(rng.integers(1, 30)), replace=False).tolist(), *live[:3]}
        added = []
        for _ in range(int(rng.integers(0, 20))):
            row = values[live[int(rng.integers(len(live)))]].copy()
            row[rng.random(len(row)) < 0.3] = 7
            values[len(values)] = row
            added.append((len(values) - 1, row))
        dropped = {seq for seq, _ in added if rng.random() < 0.2}  # a repeated id's copy
        stories = stories.changed(gone | dropped, added)
        live = [seq for seq in live if seq not in gone]
        live += [seq for seq, _ in added if seq not in dropped]
        fresh = Stories.empty().extend([(seq, values[seq]) for seq in live])
        assert stories.seqs.tolist() == fresh.seqs.tolist() == live
        assert stories.parents.tolist() == fresh.parents.tolist()
        assert stories.keys.tolist() == fresh.keys.tolist()
