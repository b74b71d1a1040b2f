"""Real-time chat under load: N WebSocket clients (default 500) on one ASGI server of this
machine (gunicorn + 2 uvicorn workers, channels-redis on REDIS_URL), paired in conversations.
Each client sends ``chat.typing`` client events into its conversation at a steady rate; the
server relays each one (consumer -> Redis group -> the partner's consumer) and the partner
measures send-to-receive latency (both ends are in this process: one clock). Then, on the same
server with the sockets still open, a plain HTTP endpoint's (/healthz) request rate.

Usage: python bench/chat.py [--clients 500] [--rate 0.5] [--seconds 20] [--reuse]
  --rate: events per second each client sends (the consumer allows 10/s per socket).
Last line: {"clients", "messages_per_s", "p50_ms", "p95_ms", "p99_ms", "trivial_rps"}
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import (  # noqa: E402
    bench_database_url,
    free_port,
    load,
    percentile,
    recreate_database,
    setup_django,
)
from bench.auth import REDIS_URL  # noqa: E402

SLUG = "chat-bench"
HOST = "chat-bench.souk.test"


def raise_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = hard if hard == resource.RLIM_INFINITY else min(hard, max(needed, soft))
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        if target < needed:
            raise SystemExit(f"file descriptor limit {target} < {needed}; raise `ulimit -n`")


SETTINGS = {"module": "bench.bench_settings"}


def prepare(url: str, clients: int, *, reuse: bool) -> tuple[str, list[tuple[int, int, int]]]:
    """A marketplace with clients/2 sellers and clients/2 buyers, one conversation per pair
    (the real ``open_conversation``). Returns the schema and (buyer, seller owner, conversation).
    ``reuse``: keep the database of an earlier run with as many clients."""
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS["module"]
    if reuse:
        setup_django(url)
        from tenants.services.migrate_fleet import migrate_fleet

        migrate_fleet(parallel=1)  # the code may have moved on since that run
        earlier = earlier_pairs(clients)
        if earlier is not None:
            return earlier
    recreate_database(url)
    setup_django(url)
    from django_tenants.utils import schema_context

    from core.accounts.models import User
    from core.conversations.services.conversations import open_conversation
    from core.sellers.models import Seller, SellerStatus, VerificationStatus
    from tenants.services import fill_schema_pool, provision_tenant

    fill_schema_pool(size=1)
    tenant = provision_tenant(
        slug=SLUG, name="Chat Bench", owner_email="owner@chat.example", owner_password=None
    ).tenant
    pairs = []
    with schema_context(tenant.schema_name):
        for index in range(clients // 2):
            owner = User.objects.create_user(
                f"seller{index}@chat.example", None, full_name=f"Seller {index}"
            )
            seller = Seller.objects.create(
                owner=owner,
                slug=f"seller-{index}",
                business_name=f"Seller {index}",
                legal_form="company",
                status=SellerStatus.ACTIVE,
                verification_status=VerificationStatus.VERIFIED,
            )
            buyer = User.objects.create_user(
                f"buyer{index}@chat.example", None, full_name=f"Buyer {index}"
            )
            conversation = open_conversation(buyer_id=buyer.pk, seller_id=seller.pk)
            pairs.append((buyer.pk, owner.pk, conversation.pk))
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return str(tenant.schema_name), pairs


def earlier_pairs(clients: int) -> tuple[str, list[tuple[int, int, int]]] | None:
    from django_tenants.utils import schema_context

    from core.conversations.models import Conversation
    from tenants.models import Tenant

    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is None:
        return None
    with schema_context(tenant.schema_name):
        pairs = list(
            Conversation.objects.order_by("pk").values_list("buyer_id", "seller__owner_id", "pk")
        )
    if len(pairs) != clients // 2:
        return None
    return str(tenant.schema_name), pairs


def ticket_minter(schema: str, user_ids: list[int]) -> Callable[[int], str]:
    """Mints one user's ticket when called (a ticket lives 30 s: each is minted just before
    its socket opens, in one worker thread with its own database connection)."""
    from django_tenants.utils import schema_context

    from core.accounts.models import User
    from core.realtime.services.tickets import mint_ticket

    with schema_context(schema):
        users = User.objects.in_bulk(user_ids)

    def mint(user_id: int) -> str:
        with schema_context(schema):
            return mint_ticket(user=users[user_id]).ticket

    return mint


def start_server(url: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn with the production worker class (core.gunicorn_conf: uvicorn) on core.asgi."""
    import http.client

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": SETTINGS["module"],
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "core.asgi:application",
            "--config=python:core.gunicorn_conf",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the ASGI server did not come up")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


class Client:
    def __init__(self, user_id: int, conversation_id: int) -> None:
        self.user_id = user_id
        self.conversation_id = conversation_id
        self.socket: Any = None
        self.latencies: list[float] = []
        self.received = 0
        self.errors: list[str] = []


async def run_clients(
    port: int,
    mint: Callable[[int], str],
    pairs: list[tuple[int, int, int]],
    *,
    rate: float,
    seconds: float,
    warmup: float,
) -> list[Client]:
    import websockets

    clients = [
        Client(user, conversation)
        for buyer, seller, conversation in pairs
        for user in (buyer, seller)
    ]
    gate = asyncio.Semaphore(50)
    measuring = {"on": False}

    minting = concurrent.futures.ThreadPoolExecutor(max_workers=1)

    async def open_socket(client: Client) -> None:
        async with gate:
            ticket = await asyncio.get_running_loop().run_in_executor(minting, mint, client.user_id)
            client.socket = await websockets.connect(
                f"ws://{HOST}:{port}/ws/?ticket={ticket}",
                host="127.0.0.1",
                port=port,
                origin=f"http://{HOST}:{port}",  # type: ignore[arg-type]
                open_timeout=30,
                max_queue=None,
            )
            await client.socket.send(
                json.dumps(
                    {"type": "subscribe", "topic": "conversation", "id": client.conversation_id}
                )
            )
            answer = json.loads(await client.socket.recv())
            if answer.get("type") != "subscribed":
                raise SystemExit(f"subscribe refused: {answer}")

    started = time.perf_counter()
    await asyncio.gather(*(open_socket(c) for c in clients))
    print(f"  {len(clients)} sockets open and subscribed in {time.perf_counter() - started:.1f} s")

    async def reader(client: Client) -> None:
        try:
            await read(client)
        except websockets.ConnectionClosed as closed:
            client.errors.append(f"closed {closed.rcvd.code if closed.rcvd else '-'}")

    async def read(client: Client) -> None:
        async for raw in client.socket:
            now = time.perf_counter()
            frame = json.loads(raw)
            if frame.get("type") == "chat.typing":
                if measuring["on"]:
                    client.received += 1
                    client.latencies.append((now - frame["data"]["sent"]) * 1000)
            elif frame.get("type") == "error":
                client.errors.append(frame.get("code", "?"))

    async def writer(client: Client, stop_at: float) -> None:
        interval = 1.0 / rate
        await asyncio.sleep(random.uniform(0, interval))
        next_at = time.perf_counter()
        while time.perf_counter() < stop_at:
            frame = {
                "type": "client_event",
                "topic": "conversation",
                "id": client.conversation_id,
                "event": "chat.typing",
                "data": {"sent": time.perf_counter()},
            }
            try:
                await client.socket.send(json.dumps(frame))
            except websockets.ConnectionClosed:
                return
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    readers = [asyncio.ensure_future(reader(c)) for c in clients]
    stop_at = time.perf_counter() + warmup + seconds
    writers = [asyncio.ensure_future(writer(c, stop_at)) for c in clients]
    await asyncio.sleep(warmup)
    measuring["on"] = True
    await asyncio.gather(*writers)
    await asyncio.sleep(0.5)  # the last relays arrive
    measuring["on"] = False
    for task in readers:
        task.cancel()
    return clients


async def close_all(clients: list[Client]) -> None:
    await asyncio.gather(*(c.socket.close() for c in clients if c.socket is not None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rate", type=float, default=0.5)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--settings", default=SETTINGS["module"])
    parser.add_argument("--reuse", action="store_true", help="keep an earlier run's database")
    args = parser.parse_args()
    SETTINGS["module"] = args.settings
    clients_wanted = args.clients - args.clients % 2
    raise_file_limit(clients_wanted * 2 + 256)

    url = bench_database_url().replace("_bench", "_bench_chat")
    print(f"setup: {clients_wanted // 2} conversations" + (" (reused)" if args.reuse else ""))
    schema, pairs = prepare(url, clients_wanted, reuse=args.reuse)
    server, port = start_server(url, args.workers)
    loop = asyncio.new_event_loop()
    try:
        user_ids = [user for buyer, seller, _ in pairs for user in (buyer, seller)]
        mint = ticket_minter(schema, user_ids)
        clients = loop.run_until_complete(
            run_clients(port, mint, pairs, rate=args.rate, seconds=args.seconds, warmup=args.warmup)
        )
        # The trivial endpoint on the same server, the sockets still open.
        trivial_rps, _ = load(port, "/healthz", host=HOST, seconds=5, connections=8)
        loop.run_until_complete(close_all(clients))
    finally:
        stop_server(server)
        loop.close()

    latencies = [value for c in clients for value in c.latencies]
    received = sum(c.received for c in clients)
    errors = [code for c in clients for code in c.errors]
    expected = len(clients) * args.rate * args.seconds
    print(
        f"{len(clients)} clients, {args.rate:g} events/s each for {args.seconds:g} s: "
        f"{received} relayed (~{expected:.0f} sent in the window), errors: {len(errors)} "
        f"{sorted(set(errors))}"
    )
    print(
        f"latency p50 {percentile(latencies, 50):.1f} ms  p95 {percentile(latencies, 95):.1f} ms"
        f"  p99 {percentile(latencies, 99):.1f} ms  max {max(latencies):.1f} ms"
    )
    print(f"/healthz beside the sockets: {trivial_rps:.0f} req/s")
    print(
        json.dumps(
            {
                "clients": len(clients),
                "messages_per_s": round(received / args.seconds, 1),
                "p50_ms": round(percentile(latencies, 50), 1),
                "p95_ms": round(percentile(latencies, 95), 1),
                "p99_ms": round(percentile(latencies, 99), 1),
                "trivial_rps": round(trivial_rps, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
