#!/usr/bin/env python3
"""ONNX Runtime peer for `sluice bench embed`: all-MiniLM-L6-v2 in fp32 and int8.

No PyTorch needed: the ONNX graph is built here, with onnx.helper and numpy, from the
model files in .deps/model (model.safetensors, config.json, tokenizer.json or vocab.txt),
then quantised with onnxruntime.quantization.quantize_dynamic. Both models are checked
against Tests/SluiceMLTests/Fixtures/minilm-golden.jsonl before any timing; a failing
fp32 parity (input ids differ, or a cosine below 0.9999) reports no figures.

Needs numpy, onnx and onnxruntime (tokenizers optional): scripts/setup-peers.sh puts
pinned versions in .deps/peers, then `PATH=.deps/peers/bin:$PATH sluice bench embed`,
or `.deps/peers/bin/python3 scripts/bench_peer_onnx.py --texts FILE`.
Built models are cached in .deps/cache/onnx-peer, keyed by model.safetensors' size and
modification time and by the settings below.

Usage: bench_peer_onnx.py --texts FILE [--runs 3] [--model DIR] [--threads 2] [--json]
"""
import argparse
import json
import math
import os
import statistics
import struct
import sys
import time
import unicodedata

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
GOLDEN = os.path.join(ROOT, "Tests", "SluiceMLTests", "Fixtures", "minilm-golden.jsonl")
CACHE = os.path.join(ROOT, ".deps", "cache", "onnx-peer")
# Longest input, [CLS] and [SEP] included: sentence-transformers' max_seq_length for this
# model (sentence_bert_config.json), as MiniLMEncoder.maxTokens.
MAX_TOKENS = 256
OPSET = 17
# Bumped whenever the graph or the quantisation changes, so that a cached file is rebuilt.
BUILD_VERSION = 1
# quantize_dynamic settings (see quantize()).
PER_CHANNEL = True
REDUCE_RANGE = False
FP32_MIN_COSINE = 0.9999


# MARK: model files

def read_safetensors(path):
    """name -> numpy array: 8-byte little-endian header length, JSON header, raw data."""
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
        tensors[name] = array
    return tensors


# MARK: graph

def build_graph(tensors, config):
    """The BERT encoder, mean pooling over the mask and L2 normalisation, as an ONNX model."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    head_dim = hidden // heads
    eps = float(config["layer_norm_eps"])
    if config.get("hidden_act", "gelu") != "gelu":
        raise SystemExit(f"unsupported hidden_act {config['hidden_act']}")

    nodes, inits = [], []
    counter = [0]

    def init(name, array):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def const(array, name=None):
        counter[0] += 1
        return init(name or f"const_{counter[0]}", np.asarray(array))

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def w(key):
        return tensors[key].astype(np.float32)

    def linear(x, prefix, out):
        # torch's Linear keeps [out, in]; MatMul wants [in, out].
        weight = init(prefix + ".weight_t", w(prefix + ".weight").T)
        bias = init(prefix + ".bias", w(prefix + ".bias"))
        return node("Add", [node("MatMul", [x, weight], out + "_mm"), bias], out)

    def layer_norm(x, prefix, out):
        scale = init(prefix + ".weight", w(prefix + ".weight"))
        bias = init(prefix + ".bias", w(prefix + ".bias"))
        return node("LayerNormalization", [x, scale, bias], out, axis=-1, epsilon=eps)

    # Embeddings: word + position + token type 0, then LayerNorm.
    word = init("word_embeddings", w("embeddings.word_embeddings.weight"))
    position = init("position_embeddings", w("embeddings.position_embeddings.weight"))
    token_type0 = init("token_type_embedding_0", w("embeddings.token_type_embeddings.weight")[0])
    # Positions 0..seq-1 as the first rows of the table: a Slice, not Gather(Range), whose
    # rewrite by onnxruntime's optimiser fails on a scalar Range start.
    seq_len = node("Shape", ["input_ids"], "seq_len", start=1, end=2)
    pos_emb = node("Slice", [position, const(np.array([0], dtype=np.int64)), seq_len,
                             const(np.array([0], dtype=np.int64))], "pos_emb")
    x = node("Add", [node("Gather", [word, "input_ids"], "word_emb"), pos_emb], "emb_sum")
    x = node("Add", [x, token_type0], "emb_sum_tt")
    x = layer_norm(x, "embeddings.LayerNorm", "emb_ln")

    # Additive attention mask [batch, 1, 1, seq]: 0 where attended, -1e9 (exp() of it is 0) on padding.
    mask_f = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    mask_4d = node("Unsqueeze", [mask_f, const(np.array([1, 2], dtype=np.int64))], "mask_4d")
    mask_bias = node("Mul", [node("Sub", [const(np.float32(1)), mask_4d], "mask_inv"),
                             const(np.float32(-1e9))], "mask_bias")

    split_heads = const(np.array([0, 0, heads, head_dim], dtype=np.int64), "shape_split_heads")
    merge_heads = const(np.array([0, 0, hidden], dtype=np.int64), "shape_merge_heads")
    scale = const(np.float32(1.0 / math.sqrt(head_dim)), "attention_scale")
    inv_sqrt2 = const(np.float32(1.0 / math.sqrt(2.0)), "inv_sqrt2")
    one = const(np.float32(1.0), "one")
    half = const(np.float32(0.5), "half")

    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        L = f"l{i}_"
        q = linear(x, p + "attention.self.query", L + "q")
        k = linear(x, p + "attention.self.key", L + "k")
        v = linear(x, p + "attention.self.value", L + "v")
        q = node("Transpose", [node("Reshape", [q, split_heads], L + "q_r")], L + "q_t", perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [k, split_heads], L + "k_r")], L + "k_t", perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Reshape", [v, split_heads], L + "v_r")], L + "v_t", perm=[0, 2, 1, 3])
        scores = node("Mul", [node("MatMul", [q, k], L + "attn_qk"), scale], L + "scores")
        probs = node("Softmax", [node("Add", [scores, mask_bias], L + "scores_masked")], L + "probs", axis=-1)
        ctx = node("MatMul", [probs, v], L + "attn_pv")
        ctx = node("Reshape", [node("Transpose", [ctx], L + "ctx_t", perm=[0, 2, 1, 3]), merge_heads], L + "ctx")
        attn = linear(ctx, p + "attention.output.dense", L + "attn_out")
        x = layer_norm(node("Add", [attn, x], L + "attn_res"), p + "attention.output.LayerNorm", L + "attn_ln")
        # FFN with the exact GELU: 0.5 x (1 + erf(x / sqrt 2)).
        h = linear(x, p + "intermediate.dense", L + "ffn_in")
        erf = node("Erf", [node("Mul", [h, inv_sqrt2], L + "gelu_scaled")], L + "gelu_erf")
        h = node("Mul", [node("Mul", [h, node("Add", [erf, one], L + "gelu_1p")], L + "gelu_x"), half], L + "gelu")
        out = linear(h, p + "output.dense", L + "ffn_out")
        x = layer_norm(node("Add", [out, x], L + "ffn_res"), p + "output.LayerNorm", L + "out_ln")

    # Mean pooling over the mask, then L2 normalisation.
    axis1 = const(np.array([1], dtype=np.int64), "axis_1")
    mask_3d = node("Unsqueeze", [mask_f, const(np.array([2], dtype=np.int64))], "mask_3d")
    summed = node("ReduceSum", [node("Mul", [x, mask_3d], "masked"), axis1], "pool_sum", keepdims=0)
    count = node("Max", [node("ReduceSum", [mask_3d, axis1], "pool_count_raw", keepdims=0),
                         const(np.float32(1e-9))], "pool_count")
    pooled = node("Div", [summed, count], "pooled")
    axis_last = const(np.array([-1], dtype=np.int64), "axis_last")
    norm = node("Sqrt", [node("ReduceSum", [node("Mul", [pooled, pooled], "pooled_sq"), axis_last],
                              "pooled_sq_sum", keepdims=1)], "pooled_norm")
    norm = node("Max", [norm, const(np.float32(1e-12))], "pooled_norm_clamped")
    node("Div", [pooled, norm], "embedding")

    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", hidden])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="sluice bench_peer_onnx.py")
    model.ir_version = 8  # opset 17's IR version: any onnxruntime that knows opset 17 loads it
    onnx.checker.check_model(model)
    return model


def quantize(fp32_path, int8_path, attention_matmuls):
    """int8 weights by quantize_dynamic: QInt8 weights, uint8 activations quantised at run time.

    Only MatMuls are quantised, so the embedding Gather stays fp32 (int8 would only make
    the file smaller, not faster). The attention products QK^T and PV multiply two
    activations: quantize_dynamic leaves such MatMuls in fp32 anyway; they are named in
    nodes_to_exclude so that this stays true whatever a later version does.
    Settings, from the worst cosine to the golden embeddings of each on this model
    (onnxruntime 1.30, AVX2 without VNNI):
      per_channel=True,  reduce_range=False: 0.9869  <- used
      per_channel=True,  reduce_range=True:  0.9808
      per_channel=False, reduce_range=False: 0.9017
      per_channel=False, reduce_range=True:  0.7551
    One scale per output column follows the spread of each weight row, which one scale
    per matrix does not; 7-bit weights (reduce_range, suggested for CPUs without VNNI)
    lose more precision than they save here.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(fp32_path, int8_path, weight_type=QuantType.QInt8, per_channel=PER_CHANNEL,
                     reduce_range=REDUCE_RANGE, op_types_to_quantize=["MatMul"],
                     nodes_to_exclude=attention_matmuls)


def build_models(model_dir):
    """Paths of the fp32 and int8 .onnx files, built once per model.safetensors."""
    import onnx

    weights = os.path.join(model_dir, "model.safetensors")
    st = os.stat(weights)
    key = f"{st.st_size}-{st.st_mtime_ns}-v{BUILD_VERSION}"
    os.makedirs(CACHE, exist_ok=True)
    fp32 = os.path.join(CACHE, f"minilm-fp32-{key}.onnx")
    int8 = os.path.join(CACHE, f"minilm-int8-pc{int(PER_CHANNEL)}-rr{int(REDUCE_RANGE)}-{key}.onnx")
    if not os.path.exists(fp32):
        with open(os.path.join(model_dir, "config.json")) as f:
            config = json.load(f)
        model = build_graph(read_safetensors(weights), config)
        tmp = f"{fp32}.tmp{os.getpid()}"
        onnx.save(model, tmp)
        os.replace(tmp, fp32)
    if not os.path.exists(int8):
        layers = onnx.load(fp32, load_external_data=False)
        attention = [n.name for n in layers.graph.node if n.name.endswith(("attn_qk", "attn_pv"))]
        tmp = f"{int8}.tmp{os.getpid()}.onnx"
        quantize(fp32, tmp, attention)
        os.replace(tmp, int8)
    return fp32, int8


# MARK: tokenizer

class WordPiece:
    """BERT uncased: clean text, split CJK, lowercase, strip accents, split on punctuation,
    greedy longest-match WordPiece with '##' and [UNK] past 100 characters."""

    def __init__(self, vocab_path):
        with open(vocab_path, encoding="utf-8") as f:
            self.vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
        self.cls, self.sep, self.unk = self.vocab["[CLS]"], self.vocab["[SEP]"], self.vocab["[UNK]"]

    @staticmethod
    def _is_cjk(cp):
        return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
                or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
                or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)

    @staticmethod
    def _is_punct(ch):
        cp = ord(ch)
        if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
            return True
        return unicodedata.category(ch).startswith("P")

    def _words(self, text):
        out = []
        for ch in text:
            cp = ord(ch)
            # Control, format and private-use characters go, as in tokenizers' BertNormalizer
            # (checked on the 2000 first tweets; unassigned code points stay, as there).
            if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch) in ("Cc", "Cf", "Co") and ch not in "\t\n\r"):
                continue
            if ch in " \t\n\r" or unicodedata.category(ch) == "Zs":
                out.append(" ")
            elif self._is_cjk(cp):
                out.append(f" {ch} ")
            else:
                out.append(ch)
        text = unicodedata.normalize("NFD", "".join(out).lower())
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
        words = []
        for token in text.split():
            current = ""
            for ch in token:
                if self._is_punct(ch):
                    if current:
                        words.append(current)
                    words.append(ch)
                    current = ""
                else:
                    current += ch
            if current:
                words.append(current)
        return words

    def _pieces(self, word):
        if len(word) > 100:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    ids.append(self.vocab[piece])
                    break
                end -= 1
            if end == start:
                return [self.unk]
            start = end
        return ids

    def encode(self, text):
        ids = []
        for word in self._words(text):
            ids.extend(self._pieces(word))
        return [self.cls] + ids[:MAX_TOKENS - 2] + [self.sep]


class Tokenizer:
    def __init__(self, model_dir, force_wordpiece=False):
        self.fast = None
        path = os.path.join(model_dir, "tokenizer.json")
        if not force_wordpiece and os.path.exists(path):
            try:
                from tokenizers import Tokenizer as Fast
                self.fast = Fast.from_file(path)
                self.fast.no_padding()  # padded per batch below, to the longest text
                self.fast.enable_truncation(MAX_TOKENS)
                self.name = "tokenizers"
            except ImportError:
                pass
        if self.fast is None:
            self.wordpiece = WordPiece(os.path.join(model_dir, "vocab.txt"))
            self.name = "WordPiece on vocab.txt"

    def ids(self, texts):
        if self.fast is not None:
            return [e.ids for e in self.fast.encode_batch(texts)]
        return [self.wordpiece.encode(t) for t in texts]

    def batch(self, texts):
        rows = self.ids(texts)
        longest = max(len(r) for r in rows)
        input_ids = np.zeros((len(rows), longest), dtype=np.int64)
        mask = np.zeros((len(rows), longest), dtype=np.int64)
        for i, r in enumerate(rows):
            input_ids[i, :len(r)] = r
            mask[i, :len(r)] = 1
        return {"input_ids": input_ids, "attention_mask": mask}


# MARK: parity and timing

def session(path, threads):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: not the optimiser's shape-merge warnings
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def embed(sess, tokenizer, texts):
    return sess.run(["embedding"], tokenizer.batch(texts))[0]


def parity(sess, tokenizer, golden):
    """Worst cosine to the golden embeddings, and the texts whose input ids differ."""
    texts = [g["text"] for g in golden]
    wrong_ids = [g["text"] for g, ids in zip(golden, tokenizer.ids(texts)) if list(ids) != g["input_ids"]]
    cosines = []
    for i in range(0, len(texts), 16):  # in batches, so that padding is exercised too
        got = embed(sess, tokenizer, texts[i:i + 16])
        for g, e in zip(golden[i:i + 16], got):
            ref = np.asarray(g["embedding"], dtype=np.float64)
            cosines.append(float(np.dot(e, ref) / (np.linalg.norm(e) * np.linalg.norm(ref))))
    return min(cosines), statistics.mean(cosines), wrong_ids


def rates(sess, tokenizer, texts, batch, runs):
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        for i in range(0, len(texts), batch):
            embed(sess, tokenizer, texts[i:i + batch])
        out.append(len(texts) / (time.perf_counter() - start))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--texts", required=True, help="one text per line")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--model", default=None, help="model dir (default: .deps/model)")
    ap.add_argument("--threads", type=int, default=2, help="intra-op threads (inter-op: 1)")
    ap.add_argument("--json", action="store_true", help="one JSON line of figures per model instead of text")
    ap.add_argument("--wordpiece", action="store_true", help="use the built-in WordPiece even if tokenizers imports")
    args = ap.parse_args()

    import onnxruntime as ort

    model_dir = args.model or os.path.join(ROOT, ".deps", "model")
    log = (lambda s: print(s, file=sys.stderr)) if args.json else print
    fp32_path, int8_path = build_models(model_dir)
    tokenizer = Tokenizer(model_dir, force_wordpiece=args.wordpiece)
    with open(GOLDEN, encoding="utf-8") as f:
        golden = [json.loads(line) for line in f if line.strip()]
    with open(args.texts, encoding="utf-8", errors="replace") as f:
        texts = [line.rstrip("\n") for line in f]
    if not texts:
        raise SystemExit("no texts")

    models = [("fp32", fp32_path, f"ONNX Runtime {ort.__version__} fp32 ({args.threads} threads)"),
              ("int8", int8_path, f"ONNX Runtime {ort.__version__} int8 "
                                  f"(quantize_dynamic, {args.threads} threads)")]
    sessions, checked = {}, {}
    for label, path, _ in models:
        sessions[label] = session(path, args.threads)
        worst, mean, wrong_ids = parity(sessions[label], tokenizer, golden)
        checked[label] = worst
        log(f"  parity {label} ({tokenizer.name}): worst cosine {worst:.6f}, mean {mean:.6f} over "
            f"{len(golden)} golden texts; input ids differ for {len(wrong_ids)}")
        if label == "fp32" and (wrong_ids or worst < FP32_MIN_COSINE):
            for t in wrong_ids[:5]:
                print(f"  input ids differ: {t!r}", file=sys.stderr)
            print(f"bench_peer_onnx: fp32 parity failed (worst cosine {worst:.6f}, needs {FP32_MIN_COSINE}; "
                  f"{len(wrong_ids)} texts with other input ids): no timings reported", file=sys.stderr)
            sys.exit(1)

    for label, _, peer in models:
        sess = sessions[label]
        embed(sess, tokenizer, texts[:32])  # warm up
        embed(sess, tokenizer, texts[32:64] or texts[:32])
        figures = {"peer": peer}
        for batch in (1, 32):
            r = rates(sess, tokenizer, texts, batch, args.runs)
            figures[f"batch_{batch}"] = statistics.median(r)
            if not args.json:
                print(f"  {peer}, batch {batch}: {statistics.median(r):.1f} sentences/s "
                      f"(runs: {', '.join(f'{x:.1f}' for x in r)})")
        figures["worst_cosine"] = checked[label]
        if args.json:
            print(json.dumps(figures), flush=True)
        else:
            print(f"  {peer}: worst cosine to the golden embeddings {checked[label]:.6f}")


if __name__ == "__main__":
    main()
