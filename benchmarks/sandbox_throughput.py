"""How many phones per second the sandbox accepts, in its own process.

Posts send documents of 1,000 phones from a few client threads over keep-alive
connections (bodies encoded up front, so the figure is the sandbox's) and prints
the median of several runs. Target: at least 100,000 phones per second.

    python benchmarks/sandbox_throughput.py [--documents 200] [--runs 3] [--threads 4]
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time

import requests
from _common import machine, sandbox_process

TARGET = 100_000


def documents(login: str, password: str, count: int, size: int, start: int) -> list[bytes]:
    bodies = []
    for d in range(count):
        base = start + d * size
        block = {
            "send_viber": "1",
            "send_sms": "2",
            "name_delivery": "bench",
            "sender_viber": "Shop",
            "text_viber": "Скидка 10% для вас",
            "sender_sms": "Shop",
            "text_sms": "Скидка 10% для вас",
            "phones": [
                {"phone": str(79000000000 + base + i), "client_id_message": str(base + i + 1)}
                for i in range(size)
            ],
        }
        doc = {"login": login, "password": password, "message": [block]}
        bodies.append(json.dumps(doc, ensure_ascii=False).encode())
    return bodies


def run(url: str, bodies: list[bytes], threads: int) -> float:
    queue = list(reversed(bodies))
    lock = threading.Lock()
    accepted = [0]

    def worker() -> None:
        session = requests.Session()
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            answer = session.post(url, data=body, timeout=60).content
            n = answer.count(b'"id_message"')  # accepted phones; cheaper than decoding
            with lock:
                accepted[0] += n

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    if accepted[0] != sum(body.count(b'"phone"') for body in bodies):
        raise SystemExit(f"only {accepted[0]} phones were accepted")
    return accepted[0] / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    with sandbox_process("--balance", "1000000000") as (url, login, password):
        rates = []
        for r in range(args.runs):
            bodies = documents(login, password, args.documents, args.size, r * 10_000_000)
            rates.append(run(url, bodies, args.threads))
    median = statistics.median(rates)
    print(
        f"sandbox throughput ({machine()}): documents of {args.size} phones, "
        f"{args.documents} per run, {args.threads} client threads"
    )
    print("runs (phones/s): " + ", ".join(f"{r:,.0f}" for r in rates))
    verdict = "meets" if median >= TARGET else "MISSES"
    print(f"median: {median:,.0f} phones/s ({verdict} the {TARGET:,} target)")


if __name__ == "__main__":
    main()
