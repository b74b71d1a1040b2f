"""The unread count and the inbox list over a marketplace with 100,000 messages: both are one
SQL statement, and they cost the same as on an empty marketplace (the unread total is a SUM of
each participant's ``unread_count`` over the covering index ``participant_unread``; the inbox
is one range scan of ``participant_inbox`` joined to what a row shows).

Set-up writes conversations, participants and messages straight into the tables with
``INSERT ... SELECT generate_series`` (the services that maintain the counts are covered by the
test suite, tests/test_conversations_*.py); the participants' unread counts are then computed
from the messages, as the services would have left them. Timings are in process, p95 of
``--repeat`` calls each, beside a trivial query (``SELECT 1``) and a primary-key lookup in the
same run, and beside counting unread messages from the messages table (what the per
participant counter saves).

Usage: python bench/notifications.py [--messages 100000] [--conversations 10000] [--repeat 300]
Last line: {"messages", "conversations", "unread_queries", "unread_p95_ms", "inbox_queries",
"inbox_p95_ms", "inbox_api_queries", "inbox_api_p95_ms", "trivial_p95_ms", ...}
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import (  # noqa: E402
    bench_database_url,
    percentile,
    recreate_database,
    setup_django,
    summary,
)

HOST = "bench-chat.souk.test"
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
SELLERS = 50
BUYERS = 2000


def prepare(url: str, *, messages: int, conversations: int) -> dict[str, Any]:
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    recreate_database(url)
    setup_django(url)
    from django.db import connection
    from django_tenants.utils import schema_context

    from core.accounts.models import Role, User
    from core.sellers.models import Seller, VerificationStatus
    from tenants.services import fill_schema_pool, provision_tenant
    from tests.accounts_helpers import PASSWORD

    fill_schema_pool(size=1)
    tenant = provision_tenant(
        slug=HOST.split(".")[0],
        name="Bench Chat",
        owner_email="owner@bench.example",
        owner_password=None,
    ).tenant
    started = time.perf_counter()
    with schema_context(tenant.schema_name):
        buyers = User.objects.bulk_create(
            User(email=f"buyer{i}@bench.example", password="!") for i in range(BUYERS)
        )
        owners = User.objects.bulk_create(
            User(email=f"seller{i}@bench.example", password="!", role=Role.SELLER)
            for i in range(SELLERS)
        )
        buyers[0].set_password(PASSWORD)
        buyers[0].save(update_fields=["password"])
        sellers = Seller.objects.bulk_create(
            Seller(
                owner=owner,
                slug=f"seller-{i}",
                business_name=f"Seller {i}",
                legal_form="company",
                verification_status=VerificationStatus.VERIFIED,
            )
            for i, owner in enumerate(owners)
        )
        first_buyer, first_seller = buyers[0].pk, sellers[0].pk
        seller_ids = [s.pk for s in sellers]
        owner_of = {s.pk: s.owner_id for s in sellers}
        buyer_ids = [b.pk for b in buyers]
        with connection.cursor() as cursor:
            # Conversation n: buyer n % BUYERS with seller n % SELLERS (subject keeps the
            # one-per-subject constraint happy); the first buyer and seller get a big share.
            cursor.execute(
                """
                INSERT INTO conversations_conversation
                    (buyer_id, seller_id, subject, title, status, created_at)
                SELECT (%(buyers)s::bigint[])[1 + n %% %(buyer_count)s],
                       (%(sellers)s::bigint[])[1 + n %% %(seller_count)s],
                       'bench:' || n, 'Bench product ' || n, 'active',
                       now() - interval '90 days'
                FROM generate_series(0, %(conversations)s - 1) AS n
                """,
                {
                    "buyers": buyer_ids,
                    "sellers": seller_ids,
                    "buyer_count": len(buyer_ids),
                    "seller_count": len(seller_ids),
                    "conversations": conversations,
                },
            )
            cursor.execute(
                """
                INSERT INTO conversations_participant
                    (conversation_id, user_id, role, unread_count, last_message_at,
                     is_archived, joined_at)
                SELECT c.id, c.buyer_id, 'buyer', 0, c.created_at, false, c.created_at
                FROM conversations_conversation c
                UNION ALL
                SELECT c.id, s.owner_id, 'seller', 0, c.created_at, false, c.created_at
                FROM conversations_conversation c JOIN sellers_seller s ON s.id = c.seller_id
                """
            )
            # Messages spread over the conversations and 90 days, alternating sides; the
            # newest tenth of each side's messages are unread.
            cursor.execute(
                """
                INSERT INTO conversations_message
                    (conversation_id, sender_id, kind, text, data, attachment, attachment_name,
                     attachment_content_type, is_filtered, created_at, read_at)
                SELECT c.id,
                       CASE WHEN n %% 2 = 0 THEN c.buyer_id ELSE s.owner_id END,
                       'text', 'bench message ' || n, '{}', '', '', '', false,
                       now() - interval '90 days' + (n * interval '90 days' / %(messages)s),
                       CASE WHEN n > %(messages)s * 0.9 THEN NULL ELSE now() END
                FROM generate_series(0, %(messages)s - 1) AS n
                JOIN conversations_conversation c
                  ON c.id = (SELECT min(id) FROM conversations_conversation)
                            + (n * 7919) %% %(conversations)s
                JOIN sellers_seller s ON s.id = c.seller_id
                """,
                {"messages": messages, "conversations": conversations},
            )
            cursor.execute(
                """
                UPDATE conversations_conversation c SET last_message_id = m.id,
                       last_message_at = m.created_at
                FROM (SELECT DISTINCT ON (conversation_id) conversation_id, id, created_at
                      FROM conversations_message
                      ORDER BY conversation_id, created_at DESC, id DESC) m
                WHERE m.conversation_id = c.id
                """
            )
            cursor.execute(
                """
                UPDATE conversations_participant p SET last_message_at = c.last_message_at
                FROM conversations_conversation c
                WHERE c.id = p.conversation_id AND c.last_message_at IS NOT NULL
                """
            )
            # What the services keep: each participant's unread = the other side's messages
            # not read yet.
            cursor.execute(
                """
                UPDATE conversations_participant p SET unread_count = u.unread
                FROM (SELECT p2.id, count(m.id) AS unread
                      FROM conversations_participant p2
                      JOIN conversations_message m
                        ON m.conversation_id = p2.conversation_id
                       AND m.read_at IS NULL AND m.sender_id <> p2.user_id
                      GROUP BY p2.id) u
                WHERE u.id = p.id
                """
            )
            # As autovacuum would leave them: statistics, and a visibility map that lets the
            # unread SUM read the covering index alone.
            for table in (
                "conversations_message",
                "conversations_participant",
                "conversations_conversation",
            ):
                cursor.execute(f"VACUUM ANALYZE {table}")
    print(
        f"set-up: {messages} messages in {conversations} conversations "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return {
        "tenant": tenant,
        "buyer_id": first_buyer,
        "buyer_email": buyers[0].email,
        "seller_owner_id": owner_of[first_seller],
    }


def timed(function: Callable[[], Any], repeat: int) -> list[float]:
    function()  # warm
    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def statements(function: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    function()  # the search_path is set on the first query of a schema context
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    url = bench_database_url()
    setup = prepare(url, messages=args.messages, conversations=args.conversations)

    from django.db import connection
    from django.test import Client
    from django_tenants.utils import schema_context

    from core.accounts.models import User
    from core.conversations import selectors
    from core.conversations.models import Message, Participant
    from tests.accounts_helpers import sign_in

    tenant = setup["tenant"]
    results: dict[str, Any] = {
        "messages": args.messages,
        "conversations": args.conversations,
    }
    with schema_context(tenant.schema_name):
        seller_owner = setup["seller_owner_id"]
        buyer_id = setup["buyer_id"]
        seller_rows = Participant.objects.filter(user_id=seller_owner).count()
        print(
            f"the busiest seller takes part in {seller_rows} conversations; "
            f"the bench buyer in {Participant.objects.filter(user_id=buyer_id).count()}"
        )

        def unread() -> int:
            return selectors.unread_total(seller_owner)

        def inbox() -> int:
            rows, _ = selectors.inbox_page(seller_owner, limit=25)
            return len([row.conversation.last_message for row in rows])

        def naive_unread() -> int:
            """What a count without the participants' counters would do."""
            return (
                Message.objects.filter(
                    conversation__participants__user_id=seller_owner, read_at__isnull=True
                )
                .exclude(sender_id=seller_owner)
                .count()
            )

        def trivial() -> None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()

        def by_key() -> bool:
            return User.objects.filter(pk=buyer_id).exists()

        assert unread() == naive_unread(), "the counters disagree with the messages"
        results["unread_total"] = unread()
        results["unread_queries"] = statements(unread)
        results["inbox_queries"] = statements(inbox)
        for name, function in (
            ("trivial", trivial),
            ("primary_key", by_key),
            ("unread", unread),
            ("inbox", inbox),
            ("naive_unread", naive_unread),
        ):
            durations = timed(function, args.repeat if name != "naive_unread" else 30)
            print(f"{name:>13}: {summary(durations)}")
            results[f"{name}_p95_ms"] = round(percentile(durations, 95), 3)
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN (ANALYZE, BUFFERS) SELECT SUM(unread_count) "
                "FROM conversations_participant WHERE user_id = %s",
                [seller_owner],
            )
            print("plan of the unread total:")
            for (line,) in cursor.fetchall():
                print("   ", line)

    # The API's inbox through the whole stack (auth + the one SELECT).
    client = Client(HTTP_HOST=HOST)
    assert sign_in(client, setup["buyer_email"]).status_code == 200

    def api_inbox() -> None:
        response = client.get("/api/v1/chats?limit=25")
        assert response.status_code == 200, response.content[:200]

    def api_unread() -> None:
        response = client.get("/api/v1/chats/unread")
        assert response.status_code == 200, response.content[:200]

    results["inbox_api_queries"] = statements(api_inbox)
    results["unread_api_queries"] = statements(api_unread)
    for name, function in (("inbox_api", api_inbox), ("unread_api", api_unread)):
        durations = timed(function, min(args.repeat, 200))
        print(f"{name:>13}: {summary(durations)}")
        results[f"{name}_p95_ms"] = round(percentile(durations, 95), 3)
    results["unread_vs_trivial"] = round(results["unread_p95_ms"] / results["trivial_p95_ms"], 2)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
