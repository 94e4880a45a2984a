"""canned responses in the database, edited by supervisors; the shipped texts seeded

Until now the reply box's answers came from pandawa/console/canned.yaml; that file is gone and
its texts are the rows below (global: queue NULL, no author). `{tiket}` became `{nomor_tiket}`.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 00:00:00
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import pandawa.core.sqltypes

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UTC_TYPE = pandawa.core.sqltypes.UTCDateTime(timezone=True)
SHIPPED_AT = datetime(2026, 12, 6, tzinfo=UTC)

# (language, title, body): the texts the product shipped in canned.yaml, and their English
SHIPPED = (
    (
        "id",
        "Salam pembuka",
        "Selamat pagi/siang, Bapak/Ibu {nama}. Terima kasih telah menghubungi kami. Saya "
        "petugas yang menangani tiket {nomor_tiket}. Ada yang dapat kami bantu?",
    ),
    (
        "id",
        "Mohon menunggu",
        "Mohon kesediaan Bapak/Ibu {nama} untuk menunggu sebentar, kami sedang memeriksa "
        "data Anda.",
    ),
    (
        "id",
        "Minta dokumen",
        "Mohon Bapak/Ibu mengirimkan foto dokumen pendukung yang jelas (KTP/KK) melalui "
        "percakapan ini.",
    ),
    (
        "id",
        "Data sudah diterima",
        "Terima kasih, Bapak/Ibu {nama}. Data Anda sudah kami terima dan sedang diproses.",
    ),
    (
        "id",
        "Penutup",
        "Apakah masih ada yang dapat kami bantu terkait tiket {nomor_tiket}? Jika tidak, tiket "
        "ini akan kami tutup. Terima kasih.",
    ),
    (
        "id",
        "Di luar kewenangan",
        "Mohon maaf, Bapak/Ibu {nama}, permohonan tersebut berada di luar kewenangan kami. "
        "Kami akan mengalihkan tiket {nomor_tiket} ke bagian yang tepat.",
    ),
    (
        "id",
        "Jam layanan",
        "Bapak/Ibu {nama}, layanan {kantor} buka {jam_buka}, kecuali hari libur nasional.",
    ),
    (
        "en",
        "Greeting",
        "Good day, {nama}. Thank you for contacting us. I am the officer handling ticket "
        "{nomor_tiket}. How may we help you?",
    ),
    (
        "en",
        "Please wait",
        "Please bear with us for a moment, {nama}; we are checking your details.",
    ),
    (
        "en",
        "Closing",
        "Is there anything else we can help you with regarding ticket {nomor_tiket}? If not, "
        "we will close this ticket. Thank you.",
    ),
    (
        "en",
        "Opening hours",
        "{nama}, {kantor} is open {jam_buka}, except on public holidays.",
    ),
)


def upgrade() -> None:
    table = op.create_table(
        "canned_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=2), server_default="id", nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TYPE, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC_TYPE, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("retired_at", UTC_TYPE, nullable=True),
        sa.CheckConstraint(
            "language IN ('id', 'en')", name=op.f("ck_canned_response_language_known")
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"],
            ["queue.id"],
            name=op.f("fk_canned_response_queue_id_queue"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_canned_response_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_canned_response_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_response")),
    )
    op.create_index(
        "ix_canned_response_queue_id_retired_at",
        "canned_response",
        ["queue_id", "retired_at"],
    )
    op.bulk_insert(
        table,
        [
            {
                "queue_id": None,
                "language": language,
                "title": title,
                "body": body,
                "created_at": SHIPPED_AT,
                "updated_at": SHIPPED_AT,
            }
            for language, title, body in SHIPPED
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_canned_response_queue_id_retired_at", table_name="canned_response")
    op.drop_table("canned_response")
