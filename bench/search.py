"""Search bench: every kind of ticket search on 1,000,000 tickets, median and p95 per kind.

Seeds its own database `pandawa_bench_search` (migrated to head, so with migration 0012's
trigram and full-text indexes) with generate_series: contacts with random-looking Indonesian
mobile numbers and names, a conversation each, 1,000,000 tickets over two years in eight
queues, three messages per ticket. Then runs `pandawa.tickets.search.search_tickets` in
process — the statement the console and the API run, ORM included — many times per kind with
varied terms, as an agent of two of the eight queues and as a supervisor, and prints a table.

    .venv/bin/python bench/search.py                 # seed 1M and measure (~15 min, 2 cores)
    .venv/bin/python bench/search.py --keep          # keep the database for another run
    .venv/bin/python bench/search.py --reuse         # measure the kept database, no seeding
    .venv/bin/python bench/search.py --tickets 100000 --runs 20   # a quick check

The database is dropped at the end unless --keep. Nothing else is touched.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import stack  # noqa: E402

log = logging.getLogger("bench")
DB_NAME = "pandawa_bench_search"
QUEUES = 8
MESSAGES_PER_TICKET = 3
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CLOCK = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
FIRST = (
    "Siti",
    "Budi",
    "Agus",
    "Dewi",
    "Sri",
    "Eko",
    "Rina",
    "Joko",
    "Wahyu",
    "Nur",
    "Ahmad",
    "Putri",
    "Andi",
    "Yuli",
    "Hendra",
    "Ratna",
    "Bambang",
    "Fitri",
    "Rudi",
    "Indah",
    "Made",
    "Ketut",
    "Wayan",
    "Ayu",
    "Teguh",
    "Lestari",
    "Dian",
    "Asep",
    "Ujang",
    "Cecep",
    "Nyoman",
    "Rahmat",
    "Fajar",
    "Novi",
    "Yusuf",
    "Maria",
    "Yohanes",
    "Slamet",
    "Suryani",
    "Bayu",
)
LAST = (
    "Rahayu",
    "Santoso",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Kusuma",
    "Lestari",
    "Pratama",
    "Setiawan",
    "Nugroho",
    "Siregar",
    "Nasution",
    "Harahap",
    "Simanjuntak",
    "Sitompul",
    "Gunawan",
    "Susanto",
    "Purnomo",
    "Wibowo",
    "Hasibuan",
    "Tanjung",
    "Lubis",
    "Panjaitan",
    "Permana",
    "Kurniawan",
    "Suharto",
    "Halim",
    "Sinaga",
    "Manurung",
    "Putra",
)
INBOUND = (
    "gmn cara pindah faskes ke puskesmas dekat rumah",
    "sy mau tanya status kepesertaan bpjs sy knp tdk aktif",
    "iuran naik ya bulan ini? tagihan sy lebih besar",
    "sudah sy kirim foto ktp dan kk apakah sdh diterima",
    "mohon bantuan kartu jkn hilang mau cetak ulang",
    "mau daftar bayi baru lahir ke kk",
    "antrean di rumah sakit lama sekali mau mengadu",
    "halo min, mau ubah data alamat",
    "kenapa aplikasi mobile jkn error terus",
    "terima kasih atas bantuannya",
)
OUTBOUND = (
    "Selamat siang Bapak/Ibu, mohon ditunggu, kami periksa data kepesertaan terlebih dahulu.",
    "Perubahan faskes berlaku mulai bulan depan.",
    "Iuran bulan ini mencakup tunggakan bulan lalu.",
    "Permohonan Bapak/Ibu sudah kami teruskan ke petugas terkait.",
    "Silakan unggah foto KTP yang jelas agar dapat kami verifikasi.",
)
PREFIXES = ("811", "812", "813", "821", "822", "852", "853", "857", "878", "896")


def _b32(expr: str) -> str:
    """SQL: six base-32 characters of an integer expression (unique per value < 32**6)."""
    parts = [
        f"substr('{ALPHABET}', mod(({expr}) / {32**p}, 32)::int + 1, 1)" for p in range(5, -1, -1)
    ]
    return " || ".join(parts)


def seed(dsn: str, tickets: int) -> dict[str, float]:
    """Rows straight into the migrated tables; the secondary indexes (the search's among them)
    dropped first and built again after the load, as a bulk load should."""
    contacts = max(1000, tickets * 3 // 10)
    steps: dict[str, float] = {}
    with psycopg.connect(dsn, autocommit=True) as conn:

        def step(name: str, sql: str, params: dict | None = None) -> None:
            t0 = time.perf_counter()
            conn.execute(sql, params or {})
            steps[name] = round(time.perf_counter() - t0, 1)
            log.info("%s: %.1fs", name, steps[name])

        conn.execute("SET maintenance_work_mem = '512MB'")
        saved: list[tuple[str, str]] = []
        for table in ("contact", "conversation", "ticket", "message"):
            for name, definition in conn.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                (table,),
            ).fetchall():
                saved.append((name, definition))
                conn.execute(f"DROP INDEX {name}")
        step(
            "office, queues, users",
            f"""
            INSERT INTO office (id, code, name, whatsapp_address, timezone, weekly_hours,
                is_active, updated_at)
            VALUES (1, 'JKT', 'Kantor Cabang Jakarta', 'whatsapp:+6281100000000',
                'Asia/Jakarta', '{{}}', true, now());
            INSERT INTO queue (id, code, name_id, name_en, sla_seconds, is_auto_assign, is_active)
            SELECT q, 'Q' || q, 'Antrean ' || q, 'Queue ' || q, 1800, false, true
            FROM generate_series(1, {QUEUES}) q;
            INSERT INTO user_account (id, email, name, role, is_active, created_at) VALUES
                (1, 'agen@bench.go.id', 'Agen Bench', 'agent', true, now()),
                (2, 'supervisor@bench.go.id', 'Supervisor Bench', 'supervisor', true, now());
            INSERT INTO queue_member (user_id, queue_id) VALUES (1, 1), (1, 2);
            """,
        )
        step(
            "contacts",
            f"""
            INSERT INTO contact (id, provider, address, wa_id, name, language, created_at)
            SELECT c, 'twilio',
                   'whatsapp:+62' || (%(prefixes)s::text[])[1 + mod(c, 10)]
                       || lpad(mod(c::bigint * 48271 + 12345, 100000000)::text, 8, '0'),
                   NULL,
                   (%(first)s::text[])[1 + mod(c * 7, {len(FIRST)})] || ' '
                       || (%(last)s::text[])[1 + mod(c * 13 / 7, {len(LAST)})],
                   'id', %(at)s
            FROM generate_series(1, {contacts}) c
            """,
            {"prefixes": list(PREFIXES), "first": list(FIRST), "last": list(LAST), "at": CLOCK},
        )
        step(
            "conversations",
            f"""
            INSERT INTO conversation (id, contact_id, channel_address, office_id, state,
                state_data, last_inbound_at, created_at, updated_at)
            SELECT c, c, 'whatsapp:+6281100000000', 1, 'idle', '{{}}', %(at)s, %(at)s, %(at)s
            FROM generate_series(1, {contacts}) c
            """,
            {"at": CLOCK},
        )
        # ticket i: contact (i - 1) % contacts + 1; the newest `contacts // 10` are open (one
        # open ticket per conversation at most), the rest resolved or cancelled; 63 s apart
        open_from = tickets - contacts // 10
        step(
            "tickets",
            f"""
            INSERT INTO ticket (id, number, office_id, queue_id, conversation_id, contact_id,
                status, assignee_id, details, created_at, released_at, assigned_at,
                resolved_at, cancelled_at, updated_at, transfer_count, reopen_templates_sent,
                reopen_templates_answered)
            SELECT i,
                   'PDW-' || to_char(at AT TIME ZONE 'Asia/Jakarta', 'YYMMDD') || '-'
                       || {_b32(f"mod(i::bigint * 387420489, {32**6})")},
                   1, 1 + mod(i * 31, {QUEUES}), mod(i - 1, {contacts}) + 1,
                   mod(i - 1, {contacts}) + 1, status,
                   CASE WHEN status IN ('assigned', 'resolved') THEN 1 + mod(i, 2) END,
                   '{{}}', at, at, CASE WHEN status IN ('assigned', 'resolved') THEN at END,
                   CASE WHEN status = 'resolved' THEN at + interval '1 hour' END,
                   CASE WHEN status = 'cancelled' THEN at + interval '5 minutes' END,
                   at, 0, 0, 0
            FROM (
                SELECT i, %(at)s - ({tickets} - i) * interval '63 seconds' AS at,
                       CASE WHEN i > {open_from} THEN
                                (ARRAY['waiting', 'deferred', 'assigned'])[1 + mod(i, 3)]
                            WHEN mod(i, 12) = 0 THEN 'cancelled' ELSE 'resolved' END AS status
                FROM generate_series(1, {tickets}) i
            ) t
            """,
            {"at": CLOCK},
        )
        # three messages a ticket: the citizen, the agent, the citizen again; the citizen's
        # second message carries a rarer word (`ref` and five digits: ~30 tickets each)
        step(
            "messages",
            f"""
            INSERT INTO message (direction, provider, provider_message_id, sender, recipient,
                body, message_type, media, extra, status, attempts, conversation_id,
                ticket_id, author_id, is_internal_note, created_at, updated_at)
            SELECT CASE WHEN k = 1 THEN 'out' ELSE 'in' END, 'twilio',
                   'SM' || t.id || 'x' || k,
                   CASE WHEN k = 1 THEN 'whatsapp:+6281100000000' ELSE c.address END,
                   CASE WHEN k = 1 THEN c.address ELSE 'whatsapp:+6281100000000' END,
                   CASE k
                       WHEN 0 THEN (%(inbound)s::text[])[1 + mod(t.id * 7, {len(INBOUND)})]
                       WHEN 1 THEN (%(outbound)s::text[])[1 + mod(t.id * 5, {len(OUTBOUND)})]
                       ELSE 'nomor referensi ref'
                            || lpad(mod(t.id::bigint * 7919, 33333)::text, 5, '0')
                            || ' ' || (%(inbound)s::text[])[1 + mod(t.id * 3, {len(INBOUND)})]
                   END,
                   'text', '[]', '{{}}', CASE WHEN k = 1 THEN 'delivered' ELSE 'processed' END,
                   0, t.conversation_id, t.id, CASE WHEN k = 1 THEN 1 END, false,
                   t.created_at + k * interval '2 minutes', t.created_at + k * interval '2 minutes'
            FROM ticket t JOIN contact c ON c.id = t.contact_id,
                 generate_series(0, {MESSAGES_PER_TICKET - 1}) k
            """,
            {"inbound": list(INBOUND), "outbound": list(OUTBOUND)},
        )
        for table in ("office", "queue", "user_account", "contact", "conversation", "ticket"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        t0 = time.perf_counter()
        for name, definition in saved:
            t1 = time.perf_counter()
            conn.execute(definition)
            log.info("index %s: %.1fs", name, time.perf_counter() - t1)
        steps["indexes"] = round(time.perf_counter() - t0, 1)
        step("vacuum analyze", "VACUUM ANALYZE")
    return steps


Kind = tuple[str, Callable[[random.Random], dict]]


def kinds(sample: dict) -> list[Kind]:
    """Each kind of search with a fresh term per run (drawn from the seeded rows)."""
    numbers, addresses = sample["numbers"], sample["addresses"]

    def digits(address: str) -> str:
        return address.removeprefix("whatsapp:+")

    return [
        ("ticket number (full)", lambda r: {"text": r.choice(numbers), "field": "number"}),
        ("ticket number (6 chars)", lambda r: {"text": r.choice(numbers)[-6:], "field": "number"}),
        ("phone, last 4 digits", lambda r: {"text": digits(r.choice(addresses))[-4:],
                                            "field": "phone"}),
        ("phone, 0812… 8 digits", lambda r: {"text": "0" + digits(r.choice(addresses))[2:9],
                                             "field": "phone"}),
        ("name (full)", lambda r: {"text": f"{r.choice(FIRST)} {r.choice(LAST)}",
                                   "field": "name"}),
        ("name (part, 4 chars)", lambda r: {"text": r.choice(LAST)[:4], "field": "name"}),
        ("text, rare word", lambda r: {"text": f"ref{r.randrange(33333):05d}", "field": "text"}),
        ("text, common words", lambda r: {"text": r.choice(
            ["pindah faskes", "kartu hilang", "iuran naik", "gmn cara", "foto ktp", "bayi"]),
            "field": "text"}),
        ("all fields (a name)", lambda r: {"text": r.choice(LAST), "field": "all"}),
        ("date range (7 days)", lambda r: _days(r, 7)),
        ("status waiting", lambda r: {"statuses": ("waiting",)}),
        ("text + status + 30 days", lambda r: {**_days(r, 30), "statuses": ("resolved",),
                                              "text": "faskes", "field": "text"}),
    ]  # fmt: skip


def _days(rnd: random.Random, days: int) -> dict:
    start = CLOCK - timedelta(days=rnd.randrange(days, 700))
    return {"created_from": start, "created_to": start + timedelta(days=days)}


def measure(app, runs: int, seed_value: int) -> list[tuple[str, str, list[float], float]]:
    import sqlalchemy as sa

    from pandawa.accounts.models import User
    from pandawa.core.extensions import db
    from pandawa.tickets.search import SearchQuery, search_tickets

    rows = []
    with app.app_context():
        session = db.session
        sample = {
            "numbers": list(
                session.scalars(sa.text("SELECT number FROM ticket TABLESAMPLE SYSTEM (1)"))
            ),
            "addresses": list(
                session.scalars(sa.text("SELECT address FROM contact TABLESAMPLE SYSTEM (5)"))
            ),
        }
        users = {
            "agent (2 of 8 queues)": session.scalar(sa.select(User).where(User.id == 1)),
            "supervisor": session.scalar(sa.select(User).where(User.id == 2)),
        }
        for label, make in kinds(sample):
            for who, user in users.items():
                rnd = random.Random(f"{seed_value}:{label}")
                times, found = [], []
                for i in range(runs + 2):
                    query = SearchQuery(**make(rnd))
                    t0 = time.perf_counter()
                    page = search_tickets(session, user, query)
                    elapsed = (time.perf_counter() - t0) * 1000
                    session.rollback()
                    if i >= 2:  # two warm-up runs
                        times.append(elapsed)
                        found.append(len(page.hits))
                rows.append((label, who, times, statistics.mean(found)))
                log.info("%s / %s: median %.1f ms", label, who, statistics.median(times))
    return rows


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def print_table(rows, tickets: int, runs: int) -> None:
    print(f"\nSearch on {tickets:,} tickets, {runs} runs per row (ms, in process, ORM included)")
    print(f"| {'search':<26} | {'who':<22} | median | p95    | max    | rows/page |")
    print(f"|{'-' * 28}|{'-' * 24}|--------|--------|--------|-----------|")
    for label, who, times, found in rows:
        print(
            f"| {label:<26} | {who:<22} | {statistics.median(times):6.1f} | {p95(times):6.1f} "
            f"| {max(times):6.1f} | {found:9.1f} |"
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=50, help="measured runs per kind and user (50)")
    p.add_argument("--keep", action="store_true", help=f"keep the database {DB_NAME}")
    p.add_argument("--reuse", action="store_true", help="measure the kept database")
    p.add_argument("--seed", type=int, default=16, help="random seed of the search terms")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    with contextlib.ExitStack() as exits:
        if not args.keep:
            exits.callback(stack.drop_database, DB_NAME)
        tmp = exits.enter_context(tempfile.TemporaryDirectory(prefix="search-bench-"))
        os.environ.update(
            {
                "DATABASE_URL": stack.pg_url(DB_NAME),
                "PANDAWA_ENV": "development",
                "PANDAWA_INSTANCE_PATH": tmp,
                "SECRET_KEY": "search-bench-secret-0123456789",
                "CELERY_BROKER_URL": "memory://",
                "LOG_LEVEL": "WARNING",
            }
        )
        os.environ.pop("REDIS_URL", None)
        from pandawa.app import create_app
        from pandawa.core.migrations import upgrade

        if not args.reuse:
            stack.recreate_database(DB_NAME)
            upgrade(stack.pg_url(DB_NAME, "postgresql+psycopg"))
            t0 = time.perf_counter()
            steps = seed(stack.pg_url(DB_NAME), args.tickets)
            log.info("seeded in %.0fs: %s", time.perf_counter() - t0, steps)
        tickets = stack.query(DB_NAME, "SELECT count(*) FROM ticket")[0][0]
        app = create_app()
        rows = measure(app, args.runs, args.seed)
        with app.app_context():
            from pandawa.core.extensions import db

            db.engine.dispose()
        print_table(rows, tickets, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
