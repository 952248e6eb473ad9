#!/usr/bin/env python3
"""PyTorch peer for `sluice bench embed`: sentence-transformers on the same texts.

Optional (needs `pip install sentence-transformers`); not part of the tests.
Usage: bench_peer_embed.py --texts FILE [--runs 3] [--model DIR] [--threads 2] [--json]
"""
import argparse
import json
import os
import statistics
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", required=True, help="one text per line")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--model", default=None, help="model dir (default: .deps/model)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="one JSON line of figures instead of text")
    args = ap.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    model_dir = args.model or os.path.join(os.path.dirname(__file__), "..", ".deps", "model")
    model = SentenceTransformer(model_dir, device="cpu")
    with open(args.texts, encoding="utf-8", errors="replace") as f:
        texts = [line.rstrip("\n") for line in f]
    model.encode(texts[:64], batch_size=32)  # warm up
    figures = {"peer": f"PyTorch {torch.__version__} (sentence-transformers, {args.threads} threads)"}
    for batch in (1, 32):
        rates = []
        for _ in range(args.runs):
            start = time.perf_counter()
            for i in range(0, len(texts), batch):
                model.encode(texts[i:i + batch], batch_size=batch, normalize_embeddings=True)
            rates.append(len(texts) / (time.perf_counter() - start))
        figures[f"batch_{batch}"] = statistics.median(rates)
        if not args.json:
            print(f"  PyTorch {torch.__version__}, {args.threads} threads, batch {batch}: "
                  f"{statistics.median(rates):.1f} sentences/s (runs: {', '.join(f'{r:.1f}' for r in rates)})")
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
