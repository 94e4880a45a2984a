"""Seed a dashboard-bench database: a year of tickets (default 1,000,000) and ~5 messages each.

Set-based: Python works out only the small tables (each office's open intervals from its real
calendar, the ticket count of every office-hour of the year, queues, agents); PostgreSQL makes
the rows with INSERT ... SELECT over generate_series. The secondary indexes of the big tables
are dropped first and rebuilt from their own definitions afterwards, and foreign-key triggers
are off for the load (`session_replication_role = replica`; the rows are consistent by
construction, check constraints still apply). Then VACUUM ANALYZE.

What the rows look like, at the clock instant T (default Monday 2026-11-30 07:30 WIB, when
Jakarta has not opened yet and Makassar and Jayapura just have, after the weekend):
- tickets over the 365 days before T, weighted to office hours (evenings less, nights and
  weekends little, holidays less, slowly growing over the year), 50/30/20 % over the offices;
- each gets a business-time wait to its first response (log-normal, median per queue 6-20
  minutes, plus up to 2 hours behind the backlog for tickets released at an opening; carried
  over to the next opening when it does not fit the day), a handle time, a
  resolution; ~3 % cancelled unanswered, ~3 % cancelled after a reply, the rest resolved;
  whatever is not done by T is still open (deferred before its office opens, waiting, or
  assigned), so the open tickets and the SLA breaches of "now" come out as a live day would;
- sla_breached_at where the first response came (or has not come) past the queue's target,
  transfer_count, reopen templates for replies more than 24 h after the citizen wrote,
  satisfaction for about a third of resolved tickets, details->>'service';
- messages: 3-7 per ticket (5 on average), alternating in/out once answered, linked to the
  ticket and its conversation; one contact and one conversation per citizen (~0.6 per ticket).
"""

from __future__ import annotations

import itertools
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg

log = logging.getLogger("bench")

PASSWORD = "bench-password-0123"  # every seeded account signs in with this (as console_seed)
AGENTS = 60
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
# share of tickets per office code (the bench catalogue's three offices)
OFFICE_SHARE = {"JKT-PUSAT": 0.5, "MAKASSAR": 0.3, "JAYAPURA": 0.2}
# queue code -> (share of tickets, median business wait in seconds, service codes)
QUEUES = {
    "KEPESERTAAN": (0.24, 600, ("daftar_mandiri", "tambah_anggota", "status_kepesertaan")),
    "PERUBAHAN_FASKES": (0.14, 720, ("pindah_faskes",)),
    "IURAN_TAGIHAN": (0.16, 540, ("cek_tagihan", "cicilan_rehab")),
    "PENGADUAN": (0.10, 480, ("pengaduan_layanan", "pengaduan_rs")),
    "INFORMASI_UMUM": (0.16, 1200, ("informasi", "petugas")),
    "PERUBAHAN_DATA": (0.09, 900, ("koreksi_nik", "ubah_alamat")),
    "PBI": (0.06, 1080, ("status_pbi", "pbi_nonaktif")),
    "KLAIM_RUJUKAN": (0.05, 840, ("rujukan", "klaim")),
}
EXTRA_QUEUES = {  # the multi-office example has 3 queues; the bench adds these (sla minutes)
    "PERUBAHAN_FASKES": ("Perubahan Faskes", "Change of Health Facility", 30),
    "IURAN_TAGIHAN": ("Iuran & Tagihan", "Contributions & Bills", 30),
    "PERUBAHAN_DATA": ("Perubahan Data Peserta", "Member Data Changes", 45),
    "PBI": ("Peserta PBI", "Subsidised Members", 45),
    "KLAIM_RUJUKAN": ("Rujukan & Klaim", "Referrals & Claims", 60),
}
FIRST = ("Siti", "Budi", "Dewi", "Agus", "Rina", "Andi", "Wahyu", "Sri", "Yohanes", "Nur")
LAST = ("Rahmawati", "Santoso", "Lestari", "Saputra", "Wijaya", "Pasaribu", "Tanjung", "Wenda")
INBOUND = (
    "Selamat pagi, kartu BPJS saya kenapa tidak aktif ya?",
    "Saya mau pindah faskes ke puskesmas dekat rumah, bagaimana caranya?",
    "Tagihan iuran bulan ini lebih besar dari biasanya, mohon dicek.",
    "Foto KTP dan KK sudah saya kirim, apakah sudah diterima?",
    "Baik, terima kasih atas bantuannya.",
    "NIK saya sudah benar tapi di aplikasi tidak muncul.",
    "Apakah bisa diproses hari ini? Saya perlu berobat besok.",
    "Antrean di rumah sakit kemarin sangat lama, saya mau mengadu.",
)
OUTBOUND = (
    "Selamat pagi Bapak/Ibu, terima kasih telah menghubungi kami. Mohon ditunggu sebentar.",
    "Data Bapak/Ibu sudah kami terima dan sedang kami periksa.",
    "Perubahan faskes berlaku mulai tanggal 1 bulan berikutnya.",
    "Mohon maaf atas ketidaknyamanannya, laporan Bapak/Ibu kami teruskan ke petugas terkait.",
    "Terima kasih, apakah ada lagi yang dapat kami bantu?",
    "Silakan unggah foto KTP yang jelas agar dapat kami verifikasi.",
)


@dataclass
class Seeded:
    tickets: int = 0
    messages: int = 0
    contacts: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    supervisor_email: str = ""
    agent_emails: list[str] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)  # seconds per step
    seconds: float = 0.0


def bench_catalog(multi_office: dict, default: dict) -> dict:
    """The multi-office example cut to its three time zones, with eight queues."""
    doc = dict(multi_office)
    doc["offices"] = [o for o in doc["offices"] if o["code"] in OFFICE_SHARE]
    queues = list(doc["queues"])
    for code, (name_id, name_en, sla) in EXTRA_QUEUES.items():
        queues.append({"code": code, "name": {"id": name_id, "en": name_en}, "sla_minutes": sla})
    doc["queues"] = queues
    return doc


def _weight(local: datetime, open_fraction: float, holiday: bool, growth: float) -> float:
    hour = local.hour
    if open_fraction > 0:
        base = 10.0 + (2.0 if hour in (9, 10) else 0.0)
        shut = 3.0 if 6 <= hour <= 21 else 0.6
        w = open_fraction * base + (1 - open_fraction) * shut
    else:
        w = 3.0 if 6 <= hour <= 21 else 0.5
    if local.weekday() >= 5 and open_fraction == 0:
        w *= 0.5
    if holiday:
        w *= 0.6
    return w * growth


def _plan(offices: list[tuple], clock: datetime, total: int) -> tuple[list, list, dict]:
    """Open intervals per office and the ticket count of every office-hour of the year."""
    from pandawa.hours.calendar import build_calendar
    from pandawa.hours.queries import holiday_map

    start = clock - timedelta(days=365)
    intervals: list[tuple] = []
    weights: list[tuple[int, datetime, float]] = []
    for office_id, code, zone, weekly in offices:
        years = range(start.year - 1, clock.year + 2)
        holidays = holiday_map("ID", ("public", "government"), years)
        cal = build_calendar(weekly, zone, holidays)
        spans = cal.open_intervals(start - timedelta(days=10), clock + timedelta(days=30))
        for (a, b), (na, nb) in itertools.pairwise(spans):
            intervals.append((office_id, a, b, na, nb))
        share = OFFICE_SHARE.get(code, 1.0 / len(offices))
        hour = start
        while hour < clock:
            local = hour.astimezone(cal.zone)
            opened = sum(
                (min(b, hour + timedelta(hours=1)) - max(a, hour)).total_seconds()
                for a, b in cal.open_intervals(hour, hour + timedelta(hours=1))
            )
            growth = 0.85 + 0.3 * (hour - start) / (clock - start)
            w = _weight(local, opened / 3600, local.date() in holidays, growth)
            weights.append((office_id, hour, w * share))
            hour += timedelta(hours=1)
    scale = total / sum(w for _, _, w in weights)
    slots, acc, done = [], 0.0, 0
    per_office: dict[int, int] = defaultdict(int)
    for office_id, hour, w in weights:
        acc += w * scale
        n = round(acc) - done  # cumulative rounding: the counts add up to `total` exactly
        done += n
        if n:
            slots.append((office_id, hour, n))
            per_office[office_id] += n
    return intervals, slots, per_office


def _users(
    conn: psycopg.Connection, queues: dict[str, int], pw: str, clock: datetime, out: Seeded
) -> dict[int, list[int]]:
    rnd = random.Random(6)
    codes = list(queues)
    rows = []
    for n in range(1, AGENTS + 1):
        presence = "online" if n <= 36 else ("away" if n <= 46 else "offline")
        seen = clock - timedelta(minutes=rnd.randint(0, 5) if presence != "offline" else 900)
        rows.append((f"agent{n:02d}@bench.example.go.id", "agent", presence, seen))
    rows.append(("supervisor@bench.example.go.id", "supervisor", "online", clock))
    rows.append(("supervisor2@bench.example.go.id", "supervisor", "offline", None))
    rows.append(("admin@bench.example.go.id", "admin", "offline", None))
    members: dict[int, list[int]] = defaultdict(list)
    for i, (email, role, presence, seen) in enumerate(rows):
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}"
        (uid,) = conn.execute(
            "INSERT INTO user_account (email, name, role, password_hash, is_active, created_at, "
            "last_seen_at, presence, capacity) VALUES (%s, %s, %s, %s, true, %s, %s, %s, 5) "
            "RETURNING id",
            (email, name, role, pw, clock - timedelta(days=400), seen, presence),
        ).fetchone()
        if role != "agent":
            if role == "supervisor" and not out.supervisor_email:
                out.supervisor_email = email
            continue
        out.agent_emails.append(email)
        # every queue gets 7-8 agents at least: agent n serves queues n, n+1 (and n+3 for some)
        mine = {codes[i % len(codes)], codes[(i + 1) % len(codes)]}
        if i % 3 == 0:
            mine.add(codes[(i + 3) % len(codes)])
        for code in mine:
            conn.execute(
                "INSERT INTO queue_member (user_id, queue_id) VALUES (%s, %s)", (uid, queues[code])
            )
            members[queues[code]].append(uid)
    return members


def _secondary_indexes(conn: psycopg.Connection, table: str) -> list[tuple[str, str, str | None]]:
    return conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), c.conname "
        "FROM pg_index i LEFT JOIN pg_constraint c "
        "  ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype = 'u' "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary",
        (table,),
    ).fetchall()


BIG_TABLES = ("ticket", "message", "contact", "conversation")


def _b32(expr: str) -> str:
    """SQL: six base-32 digits of an integer expression (ticket numbers unique by id)."""
    parts = [f"substr('{ALPHABET}', ({expr} / {32**p}) %% 32 + 1, 1)" for p in range(5, -1, -1)]
    return " || ".join(parts)


def _lognormal(median: str, sigma: float, u1: str, u2: str) -> str:
    """SQL: a log-normal draw (Box-Muller on two uniform columns)."""
    return f"{median} * exp({sigma} * sqrt(-2 * ln(greatest({u1}, 1e-9))) * cos(2 * pi() * {u2}))"


TICKETS_SQL = f"""
INSERT INTO ticket (id, number, office_id, queue_id, conversation_id, contact_id, status,
    assignee_id, details, satisfaction, created_at, released_at, assigned_at, first_response_at,
    resolved_at, cancelled_at, updated_at, wait_seconds, wait_business_seconds, sla_breached_at,
    transfer_count, reopen_templates_sent, reopen_templates_answered)
WITH base AS MATERIALIZED (
    SELECT t.id, t.office_id, t.created_at, o.tz,
           o.contact_offset + (t.r - 1) %% o.contacts + 1 AS contact_id,
           random() AS rq, random() AS u1, random() AS u2, random() AS u3, random() AS u4,
           random() AS u5, random() AS u6, random() AS u7, random() AS u8, random() AS u9,
           random() AS u10, random() AS u11
    FROM _bench_t t JOIN _bench_office o ON o.office_id = t.office_id
), j AS MATERIALIZED (
    SELECT b.*, q.queue_id, q.sla, q.median, q.services, q.members, w.next_opens,
           greatest(b.created_at, w.opens) AS bstart,
           extract(epoch FROM w.closes - greatest(b.created_at, w.opens)) AS rem,
           extract(epoch FROM w.next_closes - w.next_opens) AS rem2
    FROM base b
    JOIN _bench_queue q ON b.rq >= q.lo AND b.rq < q.hi
    CROSS JOIN LATERAL (
        SELECT * FROM _bench_open w
        WHERE w.office_id = b.office_id AND w.closes > b.created_at
        ORDER BY w.closes LIMIT 1
    ) w
), k AS (
    SELECT j.*,
           -- released at an opening: behind the backlog of the night, up to 2 h more
           least(greatest(15, {_lognormal("j.median", 1.1, "j.u1", "j.u2")})
                     + CASE WHEN j.bstart > j.created_at THEN j.u11 * j.u11 * 7200 ELSE 0 END,
                 j.rem + j.rem2 - 60)::int AS wbs,
           least(greatest(60, {_lognormal("1500", 1.2, "j.u4", "j.u5")}), 259200)::int AS hs,
           CASE WHEN j.u3 < 0.03 THEN 'cu' WHEN j.u3 < 0.06 THEN 'cr' ELSE 'r' END AS kind,
           j.created_at + (300 + j.u6 * 259200) * interval '1 second' AS cancel0
    FROM j
), times AS (
    SELECT k.*,
           CASE WHEN k.wbs <= k.rem THEN k.bstart + k.wbs * interval '1 second'
                ELSE k.next_opens + (k.wbs - k.rem) * interval '1 second' END AS fr0,
           CASE WHEN k.sla <= k.rem THEN k.bstart + k.sla * interval '1 second'
                ELSE k.next_opens + (k.sla - k.rem) * interval '1 second' END AS sb
    FROM k
), s AS (
    SELECT times.*,
           CASE WHEN kind = 'cu' AND cancel0 <= %(t)s THEN 'cancelled'
                WHEN kind = 'cu' OR fr0 > %(t)s THEN
                     CASE WHEN bstart > %(t)s THEN 'deferred' ELSE 'waiting' END
                WHEN fr0 + hs * interval '1 second' > %(t)s THEN 'assigned'
                WHEN kind = 'cr' THEN 'cancelled'
                ELSE 'resolved' END AS status
    FROM times
), f AS (
    SELECT s.*,
           (status IN ('assigned', 'resolved') OR (status = 'cancelled' AND kind = 'cr'))
               AS responded
    FROM s
)
SELECT id,
       'PDW-' || to_char(created_at AT TIME ZONE tz, 'YYMMDD') || '-' || {_b32("id")},
       office_id, queue_id, contact_id, contact_id, status,
       CASE WHEN responded THEN members[1 + floor(u8 * cardinality(members))::int] END,
       jsonb_build_object('service', services[1 + floor(u10 * cardinality(services))::int]),
       CASE WHEN status = 'resolved' AND u7 < 0.35 THEN
            CASE WHEN u9 < 0.45 THEN 5 WHEN u9 < 0.75 THEN 4 WHEN u9 < 0.87 THEN 3
                 WHEN u9 < 0.94 THEN 2 ELSE 1 END END,
       created_at,
       CASE WHEN status <> 'deferred' THEN bstart END,
       CASE WHEN responded THEN greatest(bstart, fr0 - interval '90 seconds') END,
       CASE WHEN responded THEN fr0 END,
       CASE WHEN status = 'resolved' THEN fr0 + hs * interval '1 second' END,
       CASE WHEN status = 'cancelled' AND kind = 'cu' THEN cancel0
            WHEN status = 'cancelled' THEN fr0 + hs * interval '1 second' END,
       CASE WHEN status IN ('resolved', 'cancelled') AND kind = 'cu' THEN cancel0
            WHEN status IN ('resolved', 'cancelled') THEN fr0 + hs * interval '1 second'
            WHEN responded THEN fr0
            WHEN status = 'waiting' THEN bstart
            ELSE created_at END,
       CASE WHEN responded THEN extract(epoch FROM fr0 - bstart)::int END,
       CASE WHEN responded THEN wbs END,
       CASE WHEN sb < CASE WHEN responded THEN fr0
                           WHEN status = 'cancelled' THEN cancel0
                           ELSE %(t)s END THEN sb END,
       CASE WHEN u7 > 0.92 THEN 1 WHEN u7 > 0.91 THEN 2 ELSE 0 END,
       CASE WHEN responded AND fr0 - created_at > interval '24 hours' THEN 1 ELSE 0 END,
       CASE WHEN responded AND fr0 - created_at > interval '24 hours' AND u10 < 0.6
            THEN 1 ELSE 0 END
FROM f
ORDER BY id
"""

MESSAGES_SQL = """
INSERT INTO message (direction, provider, provider_message_id, sender, recipient, body,
    message_type, media, extra, status, attempts, conversation_id, ticket_id, author_id,
    is_internal_note, created_at, updated_at, processed_at, sent_at)
SELECT d.dir, 'twilio', 'SM' || md5(d.ticket_id || ':' || d.k),
       CASE WHEN d.dir = 'in' THEN d.addr ELSE %(channel)s END,
       CASE WHEN d.dir = 'in' THEN %(channel)s ELSE d.addr END,
       CASE WHEN d.dir = 'in'
            THEN (%(inbound)s::text[])[1 + (d.ticket_id * 7 + d.k) %% %(n_in)s]
            ELSE (%(outbound)s::text[])[1 + (d.ticket_id * 5 + d.k) %% %(n_out)s] END,
       'text', '[]'::jsonb, '{}'::jsonb,
       CASE WHEN d.dir = 'in' THEN 'processed' WHEN d.h < 60 THEN 'read'
            WHEN d.h < 95 THEN 'delivered' WHEN d.h < 98 THEN 'sent'
            WHEN d.h < 99 THEN 'failed' ELSE 'undelivered' END,
       CASE WHEN d.dir = 'in' THEN 0 ELSE 1 END,
       d.conversation_id, d.ticket_id, CASE WHEN d.dir = 'out' THEN d.assignee_id END, false,
       d.at, d.at, CASE WHEN d.dir = 'in' THEN d.at END, CASE WHEN d.dir = 'out' THEN d.at END
FROM (
    SELECT t.id AS ticket_id, t.conversation_id, t.assignee_id, g.k,
           'whatsapp:+62812' || lpad(t.contact_id::text, 8, '0') AS addr,
           CASE WHEN g.k %% 2 = 0 AND t.first_response_at IS NOT NULL THEN 'out' ELSE 'in' END
               AS dir,
           (t.id * 31 + g.k * 17) %% 100 AS h,
           CASE WHEN g.k = 1 THEN t.created_at - interval '20 seconds'
                WHEN t.first_response_at IS NOT NULL THEN t.first_response_at
                    + (coalesce(t.resolved_at, t.cancelled_at, %(t)s) - t.first_response_at)
                    * ((g.k - 2)::float8 / (2 + t.id %% 5))
                ELSE t.created_at + (coalesce(t.cancelled_at, %(t)s) - t.created_at)
                    * ((g.k - 1)::float8 / (3 + t.id %% 5)) END AS at
    FROM ticket t CROSS JOIN LATERAL generate_series(1, 3 + t.id %% 5) g(k)
) d
"""

CONTACTS_SQL = """
INSERT INTO contact (id, provider, address, wa_id, name, language, created_at)
SELECT contact_id, 'twilio', 'whatsapp:+62812' || lpad(contact_id::text, 8, '0'),
       '62812' || lpad(contact_id::text, 8, '0'),
       (%(first)s::text[])[1 + contact_id %% %(n_first)s] || ' '
           || (%(last)s::text[])[1 + (contact_id / 7) %% %(n_last)s],
       CASE WHEN contact_id %% 50 = 0 THEN 'en' ELSE 'id' END,
       min(created_at) - interval '5 minutes'
FROM ticket GROUP BY contact_id
"""

CONVERSATIONS_SQL = """
INSERT INTO conversation (id, contact_id, channel_address, office_id, state, state_data,
    last_inbound_at, created_at, updated_at)
SELECT conversation_id, contact_id, %(channel)s, min(office_id), 'idle', '{}'::jsonb,
       max(created_at), min(created_at) - interval '5 minutes', max(updated_at)
FROM ticket GROUP BY conversation_id, contact_id
"""


def seed(dsn: str, total: int, password_hash: str, clock: datetime) -> Seeded:
    """Fill the (migrated, catalogued) database; `clock` is the instant "now" of the bench."""
    started = time.monotonic()
    out = Seeded()

    def step(name: str, t0: float) -> float:
        out.steps[name] = round(time.monotonic() - t0, 1)
        log.info("seed: %s %.1fs", name, out.steps[name])
        return time.monotonic()

    t0 = time.monotonic()
    with psycopg.connect(dsn) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        # the cost estimates of the big INSERTs make JIT compile for tens of seconds
        conn.execute("SET jit = off")
        conn.execute("SET session_replication_role = replica")  # no FK triggers in the load
        conn.execute("SELECT setseed(0.2026)")
        offices = conn.execute(
            "SELECT id, code, timezone, weekly_hours, whatsapp_address FROM office ORDER BY id"
        ).fetchall()
        queues = dict(conn.execute("SELECT code, id FROM queue").fetchall())
        sla = dict(conn.execute("SELECT id, sla_seconds FROM queue").fetchall())
        if len(offices) < 1 or not set(QUEUES) <= set(queues):
            raise RuntimeError(f"catalogue not as expected: {offices=} {queues=}")
        channel = offices[0][4]
        members = _users(conn, queues, password_hash, clock, out)
        intervals, slots, per_office = _plan([o[:4] for o in offices], clock, total)
        t0 = step("plan", t0)

        conn.execute(
            "CREATE UNLOGGED TABLE _bench_open (office_id int, opens timestamptz, "
            "closes timestamptz, next_opens timestamptz, next_closes timestamptz)"
        )
        conn.execute(
            "CREATE UNLOGGED TABLE _bench_slot (office_id int, slot_start timestamptz, n int)"
        )
        conn.execute(
            "CREATE UNLOGGED TABLE _bench_office (office_id int, tz text, contact_offset int, "
            "contacts int)"
        )
        conn.execute(
            "CREATE UNLOGGED TABLE _bench_queue (queue_id int, lo float8, hi float8, sla int, "
            "median int, services text[], members int[])"
        )
        with conn.cursor() as cur:
            for table, rows in (("_bench_open", intervals), ("_bench_slot", slots)):
                with cur.copy(f"COPY {table} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            offset = 0
            for office_id, _code, zone, _weekly, _addr in offices:
                contacts = max(1, round(per_office.get(office_id, 0) * 0.6))
                cur.execute(
                    "INSERT INTO _bench_office VALUES (%s, %s, %s, %s)",
                    (office_id, zone, offset, contacts),
                )
                offset += contacts
            lo = 0.0
            shares = sum(v[0] for v in QUEUES.values())
            for code, (share, median, services) in QUEUES.items():
                hi = lo + share / shares
                cur.execute(
                    "INSERT INTO _bench_queue VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (
                        queues[code],
                        lo,
                        1.0 if code == list(QUEUES)[-1] else hi,
                        sla[queues[code]],
                        median,
                        list(services),
                        members[queues[code]],
                    ),
                )
                lo = hi
        conn.execute("CREATE INDEX ON _bench_open (office_id, closes)")
        conn.execute("ANALYZE _bench_open")
        conn.execute(
            "CREATE UNLOGGED TABLE _bench_t AS "
            "SELECT row_number() OVER (ORDER BY created_at)::int AS id, office_id, created_at, "
            "row_number() OVER (PARTITION BY office_id ORDER BY created_at)::int AS r "
            "FROM (SELECT s.office_id, s.slot_start + random() * interval '1 hour' AS created_at"
            "      FROM _bench_slot s CROSS JOIN LATERAL generate_series(1, s.n)) x"
        )
        t0 = step("ticket times", t0)

        dropped = {}
        for table in BIG_TABLES:
            dropped[table] = _secondary_indexes(conn, table)
            for name, _definition, constraint in dropped[table]:
                if constraint:
                    conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
                else:
                    conn.execute(f"DROP INDEX {name}")
        params = {"t": clock, "channel": channel}
        conn.execute(TICKETS_SQL, params)
        t0 = step("tickets", t0)
        conn.execute(
            CONTACTS_SQL,
            {"first": list(FIRST), "n_first": len(FIRST), "last": list(LAST), "n_last": len(LAST)},
        )
        conn.execute(CONVERSATIONS_SQL, params)
        t0 = step("contacts, conversations", t0)
        conn.execute(
            MESSAGES_SQL,
            {
                **params,
                "inbound": list(INBOUND),
                "n_in": len(INBOUND),
                "outbound": list(OUTBOUND),
                "n_out": len(OUTBOUND),
            },
        )
        t0 = step("messages", t0)
        for table in BIG_TABLES:
            for name, definition, constraint in dropped[table]:
                conn.execute(definition)
                if constraint:
                    conn.execute(
                        f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" '
                        f"UNIQUE USING INDEX {name}"
                    )
        for table in ("contact", "conversation", "ticket", "message"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        for table in ("_bench_open", "_bench_slot", "_bench_office", "_bench_queue", "_bench_t"):
            conn.execute(f"DROP TABLE {table}")
        conn.commit()
        t0 = step("indexes", t0)
        out.tickets = conn.execute("SELECT count(*) FROM ticket").fetchone()[0]
        out.messages = conn.execute("SELECT count(*) FROM message").fetchone()[0]
        out.contacts = conn.execute("SELECT count(*) FROM contact").fetchone()[0]
        out.statuses = dict(
            conn.execute("SELECT status, count(*) FROM ticket GROUP BY 1 ORDER BY 2 DESC")
        )
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    step("vacuum analyze", t0)
    out.seconds = time.monotonic() - started
    return out


def describe(dsn: str, clock: datetime) -> dict:
    """A few numbers that show the seed looks like a service in use (printed with the table)."""
    with psycopg.connect(dsn) as conn:
        q = conn.execute(
            "SELECT count(*) FILTER (WHERE created_at >= %(t)s - interval '30 days'), "
            "count(*) FILTER (WHERE first_response_at IS NOT NULL), "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY wait_business_seconds), "
            "percentile_cont(0.9) WITHIN GROUP (ORDER BY wait_business_seconds), "
            "count(*) FILTER (WHERE sla_breached_at IS NOT NULL), "
            "count(*) FILTER (WHERE satisfaction IS NOT NULL), "
            "count(*) FILTER (WHERE transfer_count > 0), "
            "count(*) FILTER (WHERE reopen_templates_sent > 0), "
            "min(created_at), max(created_at) FROM ticket",
            {"t": clock},
        ).fetchone()
    keys = (
        "last_30_days",
        "responded",
        "wait_business_p50",
        "wait_business_p90",
        "sla_breached",
        "with_satisfaction",
        "transferred",
        "reopen_sent",
        "first_created",
        "last_created",
    )
    return {
        k: (v.astimezone(UTC).isoformat() if isinstance(v, datetime) else v)
        for k, v in zip(keys, q, strict=True)
    }
