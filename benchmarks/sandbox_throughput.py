"""How many phones per second the sandbox accepts, in its own process.

Posts send documents of 1,000 phones from a few client threads over keep-alive
connections (bodies encoded up front, posted with the lean ``http.client``, so the
figure is the sandbox's rather than the client's), in three
shapes: one phone per block of one template, one phone per block of the campaign's two
templates interleaved (benchmarks/campaign.py: Viber → SMS with a button, and SMS only;
what ``send`` posts for a real campaign), and one block of 1,000 phones. Medians of
several runs; the sandbox's ledger must hold every phone. Beside each rate, the
sandbox process's CPU per phone (from /proc), steadier than the rate on a shared machine.
Target (issue 14): ≥ 100,000 phones/s in one-phone-per-block documents.

The sandbox draws a message's fate (its cascade, the later charges) when a fallback
may be due or when something asks for it, not while it answers the send document.
So another figure counts that work too: after each run one account-gate request
(``time``, which draws every fate still undrawn) is timed, and the phones are divided
by the posting time plus that request's.

    python benchmarks/sandbox_throughput.py [--documents 200] [--runs 3] [--threads 4] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from urllib.parse import urlsplit

import requests
from _common import cpu_seconds, emit, median, row, sandbox_process

from targetsms_frames.sandbox.server import GATE_PATH, PATH

TARGET = 100_000
MESSAGE = {
    "send_viber": "1",
    "send_sms": "2",
    "name_delivery": "bench",
    "sender_viber": "Shop",
    "sender_sms": "Shop",
}
SHAPES = ("per_block", "mixed", "one_block")


def _campaign(count: int, size: int, start: int) -> list[list[dict]]:
    """The blocks of ``count`` documents of the benchmark campaign, exactly as ``send``
    posts them: its two templates interleaved, one phone per block, derived client ids
    (a new campaign key per ``start``, so every run posts new ones)."""
    from campaign import TEMPLATES, recipients

    import targetsms_frames as tsf

    people = recipients(count * size, seed=start + 1)
    plan = tsf.plan(people, TEMPLATES, campaign=f"throughput-{start}")
    return [doc["message"] for doc in tsf.documents(plan, max_phones=size)]


def documents(
    login: str, password: str, count: int, size: int, start: int, shape: str
) -> list[bytes]:
    """``count`` bodies of ``size`` phones in one of :data:`SHAPES` (personal texts per block)."""
    bodies = []
    mixed = _campaign(count, size, start) if shape == "mixed" else []
    for d in range(count):
        base = start + d * size
        phones = [
            {"phone": str(79000000000 + base + i), "client_id_message": str(base + i + 1)}
            for i in range(size)
        ]
        if shape == "mixed":
            blocks = mixed[d]
        elif shape == "per_block":
            blocks = [
                MESSAGE
                | {
                    "text_viber": f"Клиент {p['client_id_message']}, скидка 10% для вас",
                    "text_sms": f"Клиент {p['client_id_message']}, скидка 10% для вас",
                    "phones": [p],
                }
                for p in phones
            ]
        else:
            text = "Скидка 10% для вас"
            blocks = [MESSAGE | {"text_viber": text, "text_sms": text, "phones": phones}]
        doc = {"login": login, "password": password, "message": blocks}
        bodies.append(json.dumps(doc, ensure_ascii=False).encode())
    return bodies


def run(url: str, bodies: list[bytes], threads: int) -> tuple[int, float]:
    """Post the bodies from ``threads`` threads; (phones accepted, seconds)."""
    queue = list(reversed(bodies))
    lock = threading.Lock()
    accepted = [0]

    where = urlsplit(url)
    headers = {"Content-Type": "application/json; charset=utf-8"}

    def worker() -> None:
        connection = http.client.HTTPConnection(where.hostname, where.port, timeout=120)
        while True:
            with lock:
                if not queue:
                    connection.close()
                    return
                body = queue.pop()
            connection.request("POST", where.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            assert response.status == 200, response.status
            n = answer.count(b'"id_message"')  # accepted phones; cheaper than decoding
            with lock:
                accepted[0] += n

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return accepted[0], time.perf_counter() - started


def settle(url: str, login: str, password: str) -> float:
    """Seconds of one account-gate request, which draws every fate not drawn yet."""
    doc = {"security": {"login": login, "password": password}, "type": "time"}
    started = time.perf_counter()
    answer = requests.post(url.replace(PATH, GATE_PATH), json=doc, timeout=600).json()
    assert "time" in answer, answer
    return time.perf_counter() - started


def measure(count: int, size: int, runs: int, threads: int) -> list[dict]:
    rates: dict[str, list[float]] = {shape: [] for shape in SHAPES}
    cpu: dict[str, list[float]] = {shape: [] for shape in SHAPES}
    drawn: list[float] = []
    with sandbox_process("--balance", "100000000000") as (url, login, password, remote):
        start = 0
        pid = remote._process.pid
        for _ in range(runs):
            for shape in SHAPES:
                bodies = documents(login, password, count, size, start, shape)
                start += count * size
                before = cpu_seconds(pid)
                accepted, seconds = run(url, bodies, threads)
                cpu[shape].append((cpu_seconds(pid) - before) / accepted)
                assert accepted == count * size, f"only {accepted} phones were accepted"
                rates[shape].append(accepted / seconds)
                if shape == "per_block":
                    drawn.append(accepted / (seconds + settle(url, login, password)))
                else:
                    settle(url, login, password)  # the next run starts with none undrawn
        in_ledger = len(remote.ledger()["accepted"])
    assert in_ledger == start, f"the sandbox's ledger holds {in_ledger} of {start} phones"
    per_block, one_block = median(rates["per_block"]), median(rates["one_block"])
    mixed = median(rates["mixed"])

    def used(shape: str) -> str:
        return f"(sandbox CPU {median(cpu[shape]) * 1e6:.2f} µs a phone)"

    shape = f"{count} documents of {size:,} phones, {threads} threads, median of {runs}"
    checked = "every phone accepted; the sandbox's ledger holds them all"
    return [
        row(
            f"sandbox accepts, one phone per block ({shape})",
            f"{per_block:,.0f} phones/s {used('per_block')}",
            "",
            "",
            f"≥ {TARGET:,}/s",
            per_block >= TARGET,
            checked,
        ),
        row(
            "sandbox accepts and draws the fates, one phone per block (same)",
            f"{median(drawn):,.0f} phones/s",
            "",
            "",
            "(the work deferred)",
            None,
            checked,
        ),
        row(
            "sandbox accepts, one phone per block, the campaign's two templates mixed (same)",
            f"{mixed:,.0f} phones/s {used('mixed')}",
            "",
            "",
            f"≥ {TARGET:,}/s",
            mixed >= TARGET,
            checked,
        ),
        row(
            "sandbox accepts, one block of 1,000 phones (same)",
            f"{one_block:,.0f} phones/s {used('one_block')}",
            "",
            "",
            "(for comparison)",
            None,
            checked,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--json", action="store_true", help="one JSON line (for run_all)")
    args = parser.parse_args()
    emit(measure(args.documents, args.size, args.runs, args.threads), args.json)


if __name__ == "__main__":
    main()
