#!/usr/bin/env python3
"""Python peer for `sluice bench pipeline`: the embed stage written the usual way.

A confluent-kafka consumer reads the input topic in batches, embeds the texts
with sentence-transformers (all-MiniLM-L6-v2 from .deps/model), produces one
event per input to the output topic, waits for the deliveries, then commits
(at-least-once, as the Sluice worker does). Timed from when the consumer holds
partitions to the last delivery of the N-th event.

Optional (needs confluent-kafka and sentence-transformers); `sluice bench
pipeline` runs it only when both import, against its broker, on fresh topics.
Prints one line: the rate, for the benchmark's table.

Usage: bench_peer_pipeline.py --brokers HOST:PORT --input T --output T --events N
       [--batch 32] [--wait-ms 50] [--group G] [--model DIR] [--threads 2]
"""
import argparse
import base64
import json
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--events", type=int, required=True)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--wait-ms", type=int, default=50)
    ap.add_argument("--group", default="peer-pipeline")
    ap.add_argument("--model", default=None, help="model dir (default: .deps/model)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    import numpy as np
    import torch
    from confluent_kafka import Consumer, Producer
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    model_dir = args.model or os.path.join(os.path.dirname(__file__), "..", ".deps", "model")
    model = SentenceTransformer(model_dir, device="cpu")
    model.encode(["warm up"] * args.batch, batch_size=args.batch)

    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        "group.id": args.group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "max.poll.interval.ms": 60000,
    })
    producer = Producer({"bootstrap.servers": args.brokers, "linger.ms": 5, "enable.idempotence": True})
    assigned = []
    consumer.subscribe([args.input], on_assign=lambda c, parts: assigned.extend(parts))
    while not assigned:
        consumer.poll(0.1)  # joins the group; the input is not consumed before assignment
    start = time.perf_counter()

    done = 0
    failures = []

    def delivered(err, _msg):
        if err is not None:
            failures.append(err)

    while done < args.events:
        msgs = consumer.consume(num_messages=args.batch, timeout=args.wait_ms / 1000)
        msgs = [m for m in msgs if m.error() is None]
        if not msgs:
            continue
        consumed_at = int(time.time() * 1e6)
        events = [json.loads(m.value()) for m in msgs]
        t0 = time.perf_counter()
        vectors = model.encode([e["text"] for e in events], batch_size=len(events), normalize_embeddings=True)
        process_us = int((time.perf_counter() - t0) * 1e6)
        for m, e, v in zip(msgs, events, vectors):
            e["embedding"] = {"dim": int(v.shape[0]), "dtype": "float32le",
                              "b64": base64.b64encode(np.asarray(v, dtype="<f4").tobytes()).decode()}
            e.setdefault("hops", []).append({
                "stage": "features", "worker": f"python:{os.getpid()}", "consumed_at": consumed_at,
                "produced_at": int(time.time() * 1e6), "batch_size": len(msgs), "process_us": process_us})
            producer.produce(args.output, key=m.key(), value=json.dumps(e).encode(), on_delivery=delivered)
        producer.flush()
        if failures:
            sys.exit(f"delivery failed: {failures[0]}")
        consumer.commit(asynchronous=False)
        done += len(msgs)
    seconds = time.perf_counter() - start
    consumer.close()
    print(f"{done / seconds:.1f} events/s ({done} events in {seconds:.2f} s; torch {torch.__version__}, "
          f"{args.threads} threads, batch {args.batch})")


if __name__ == "__main__":
    main()
