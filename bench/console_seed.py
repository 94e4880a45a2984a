"""Seed a console-bench database with COPY: contacts, conversations, tickets, messages, users.

Rows are written straight into the tables `pandawa db upgrade` made (one conversation and one
ticket per contact), then VACUUM ANALYZE. Open tickets are recent (3 days), closed ones spread
over 90 days, as a live service would look.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg

log = logging.getLogger("bench")

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
PASSWORD = "bench-password-0123"  # every seeded account signs in with this
AGENTS = 20

INBOUND = (
    "Selamat siang, saya mau tanya status kepesertaan BPJS saya, kenapa kartu saya tidak aktif?",
    "Mohon bantuannya, saya ingin pindah faskes ke puskesmas dekat rumah.",
    "Tagihan iuran saya bulan ini kok lebih besar dari biasanya ya?",
    "Sudah saya kirim foto KTP dan KK, apakah sudah diterima?",
    "Baik, terima kasih atas informasinya.",
    "Nomor NIK saya sudah benar, tapi di aplikasi tidak muncul.",
    "Apakah bisa diproses hari ini? Saya perlu untuk berobat besok.",
    "Saya mau mengadukan pelayanan di rumah sakit kemarin, antrean sangat lama.",
)
OUTBOUND = (
    "Selamat siang Bapak/Ibu, terima kasih telah menghubungi kami. Mohon ditunggu, "
    "kami periksa data kepesertaan Bapak/Ibu terlebih dahulu.",
    "Data Bapak/Ibu sudah kami terima. Perubahan faskes berlaku mulai bulan depan.",
    "Mohon maaf atas ketidaknyamanannya. Iuran bulan ini mencakup tunggakan bulan lalu.",
    "Baik, permohonan Bapak/Ibu sudah kami teruskan ke petugas terkait.",
    "Terima kasih, apakah ada lagi yang dapat kami bantu?",
    "Silakan unggah foto KTP yang jelas agar dapat kami verifikasi.",
)
SERVICES = ("kepesertaan", "faskes", "iuran", "pengaduan", "informasi")


@dataclass
class Seeded:
    tickets: int = 0
    messages: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    agent_emails: list[str] = field(default_factory=list)
    supervisor_email: str = ""
    # numbers with 5-20 messages each, to open in the ticket view
    view_numbers: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _number(at: datetime, used: set[str], rnd: random.Random) -> str:
    while True:
        value = f"PDW-{at:%y%m%d}-{''.join(rnd.choices(ALPHABET, k=6))}"
        if value not in used:
            used.add(value)
            return value


def _statuses(total: int, rnd: random.Random) -> list[str]:
    open_counts = {"waiting": 2000, "deferred": 500, "assigned": 300}
    scale = min(1.0, total / 100_000)
    out: list[str] = []
    for status, count in open_counts.items():
        out += [status] * max(1, int(count * scale))
    rest = total - len(out)
    cancelled = rest // 12
    out += ["cancelled"] * cancelled + ["resolved"] * (rest - cancelled)
    rnd.shuffle(out)
    return out


def seed(dsn: str, total: int, password_hash: str, view_count: int = 400) -> Seeded:
    started = time.monotonic()
    rnd = random.Random(20261201)
    result = Seeded()
    now = datetime.now(UTC)
    with psycopg.connect(dsn) as conn:
        offices = conn.execute("SELECT id, whatsapp_address FROM office ORDER BY id").fetchall()
        queues = [r[0] for r in conn.execute("SELECT id FROM queue ORDER BY id")]
        if not offices or not queues:
            raise RuntimeError("no offices/queues: was the catalogue loaded?")
        user_ids = _users(conn, queues, password_hash, now, result)
        agents = user_ids[:AGENTS]
        statuses = _statuses(total, rnd)
        used: set[str] = set()
        view_ids = set(rnd.sample(range(1, total + 1), min(view_count, total)))
        view_numbers: list[str] = []
        with conn.cursor() as cur:
            contacts = cur.copy(
                "COPY contact (id, provider, address, wa_id, name, language, created_at) FROM STDIN"
            )
            conversations_rows = []
            ticket_rows = []
            message_rows = []
            with contacts as copy:
                for i in range(1, total + 1):
                    status = statuses[i - 1]
                    if status in ("waiting", "deferred", "assigned"):
                        created = now - timedelta(seconds=rnd.randint(60, 3 * 86400))
                    else:
                        created = now - timedelta(seconds=rnd.randint(3 * 86400, 90 * 86400))
                    phone = f"+62812{i:08d}"
                    office_id, channel = offices[i % len(offices)]
                    copy.write_row(
                        (i, "twilio", f"whatsapp:{phone}", phone[1:], f"Warga {i}", "id", created)
                    )
                    conversations_rows.append(
                        (i, i, channel, office_id, "idle", "{}", created, created, created)
                    )
                    number = _number(created, used, rnd)
                    if i in view_ids:
                        view_numbers.append(number)
                    assignee = rnd.choice(agents) if status in ("assigned", "resolved") else None
                    end = created + timedelta(minutes=rnd.randint(5, 600))
                    details = json.dumps(
                        {
                            "service": rnd.choice(SERVICES),
                            "nik": f"3171{rnd.randint(0, 10**12):012d}",
                        }
                    )
                    ticket_rows.append(
                        (
                            i,
                            number,
                            office_id,
                            rnd.choice(queues),
                            i,
                            i,
                            status,
                            assignee,
                            details,
                            created,
                            created if status != "deferred" else None,
                            created + timedelta(minutes=3) if assignee else None,
                            end if status == "resolved" else None,
                            end if status == "cancelled" else None,
                            end if status in ("resolved", "cancelled") else created,
                        )
                    )
                    count = rnd.randint(5, 20) if i in view_ids else rnd.randint(2, 8)
                    at = created
                    for k in range(count):
                        inbound = k % 2 == 0 or assignee is None
                        at = at + timedelta(seconds=rnd.randint(20, 900))
                        message_rows.append(
                            (
                                "in" if inbound else "out",
                                "twilio",
                                f"SM{i:012d}{k:04d}{rnd.getrandbits(64):016x}",
                                f"whatsapp:{phone}" if inbound else channel,
                                channel if inbound else f"whatsapp:{phone}",
                                rnd.choice(INBOUND if inbound else OUTBOUND),
                                "processed" if inbound else "delivered",
                                0 if inbound else 1,
                                i,
                                i,
                                None if inbound else assignee,
                                at,
                                at,
                                at if inbound else None,
                                None if inbound else at,
                            )
                        )
            with cur.copy(
                "COPY conversation (id, contact_id, channel_address, office_id, state, "
                "state_data, last_inbound_at, created_at, updated_at) FROM STDIN"
            ) as copy:
                for row in conversations_rows:
                    copy.write_row(row)
            with cur.copy(
                "COPY ticket (id, number, office_id, queue_id, conversation_id, contact_id, "
                "status, assignee_id, details, created_at, released_at, assigned_at, "
                "resolved_at, cancelled_at, updated_at) FROM STDIN"
            ) as copy:
                for row in ticket_rows:
                    copy.write_row(row)
            with cur.copy(
                "COPY message (direction, provider, provider_message_id, sender, recipient, "
                "body, status, attempts, conversation_id, ticket_id, author_id, created_at, "
                "updated_at, processed_at, sent_at, message_type, media, extra, "
                "is_internal_note) FROM STDIN"
            ) as copy:
                for row in message_rows:
                    copy.write_row((*row, "text", "[]", "{}", False))
            for table in ("contact", "conversation", "ticket"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        conn.commit()
        result.tickets = total
        result.messages = len(message_rows)
        result.statuses = {s: statuses.count(s) for s in set(statuses)}
        result.view_numbers = view_numbers
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    result.seconds = time.monotonic() - started
    return result


def _users(
    conn: psycopg.Connection, queues: list[int], password_hash: str, now: datetime, out: Seeded
) -> list[int]:
    ids = []
    accounts = [(f"agent{n:02d}@bench.example.go.id", "agent") for n in range(1, AGENTS + 1)]
    accounts.append(("supervisor@bench.example.go.id", "supervisor"))
    for email, role in accounts:
        (user_id,) = conn.execute(
            "INSERT INTO user_account (email, name, role, password_hash, is_active, created_at, "
            "presence, capacity) VALUES (%s, %s, %s, %s, true, %s, 'online', 5) RETURNING id",
            (email, email.split("@")[0].title(), role, password_hash, now),
        ).fetchone()
        ids.append(user_id)
        if role == "agent":
            out.agent_emails.append(email)
            for queue_id in queues:
                conn.execute(
                    "INSERT INTO queue_member (user_id, queue_id) VALUES (%s, %s)",
                    (user_id, queue_id),
                )
        else:
            out.supervisor_email = email
    return ids
