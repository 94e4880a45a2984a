"""A thank-you after a resolution: a message made only of courtesy words does not reopen the
ticket, and the bot has nothing to add to it (no new menu)."""

from __future__ import annotations

from pandawa.conversations import keywords

COURTESY_WORDS = frozenset(
    {
        "terima",
        "kasih",
        "terimakasih",
        "makasih",
        "makasi",
        "trims",
        "thanks",
        "thank",
        "you",
        "thx",
        "ok",
        "oke",
        "okay",
        "baik",
        "siap",
        "sip",
        "mantap",
        "banyak",
        "sekali",
        "ya",
        "yah",
        "kak",
        "pak",
        "bu",
        "ibu",
        "bapak",
        "min",
        "admin",
        "mas",
        "mbak",
        "sudah",
        "beres",
        "👍",
        "🙏",
    }
)


def is_courtesy(body: str) -> bool:
    """Only courtesy words, once normalised; also an empty or emoji-only message."""
    return set(keywords.normalise(body).split()) <= COURTESY_WORDS
