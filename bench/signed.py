"""Signed request files for wrk and the open-loop generator, made with the baseline's own
generator (`make()` in shared/bench/baseline/gen_requests.py, imported from the run's copy).

A file holds one request per line, "<X-Twilio-Signature>\\t<urlencoded body>", signed for the
exact URL the server sees. MessageSids are "SM" + one hex digit per side + 31 hex digits of a
sequence number; each file takes a fresh range of numbers, so no MessageSid is ever sent twice
to a database.
"""

from __future__ import annotations

import importlib
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator


def sid_of(prefix: str, number: int) -> str:
    return "SM" + prefix + f"{number:031x}"  # the baseline generator's scheme


@dataclass(frozen=True)
class RequestFile:
    path: Path
    prefix: str
    start: int
    count: int

    def sid(self, line: int) -> str:
        return sid_of(self.prefix, self.start + line)

    @property
    def sid_range(self) -> tuple[str, str]:
        return self.sid(0), self.sid(self.count - 1)

    def issued(self, per_thread: list[int]) -> set[str]:
        """MessageSids wrk sent: thread t sends lines t, t+T, t+2T, … (webhook.lua)."""
        nthreads = len(per_thread)
        return {self.sid(t + k * nthreads) for t, n in enumerate(per_thread) for k in range(n)}

    def lines(self) -> list[tuple[str, str]]:
        with self.path.open() as f:
            return [tuple(line.rstrip("\n").split("\t", 1)) for line in f]


class Signer:
    """Writes request files for one side: its URL, its sender number, its MessageSid prefix."""

    def __init__(
        self,
        baseline_dir: Path,
        auth_token: str,
        url: str,
        prefix: str,
        to: str | None,
        out_dir: Path,
    ) -> None:
        if str(baseline_dir) not in sys.path:
            sys.path.insert(0, str(baseline_dir))
        self._make = importlib.import_module("gen_requests").make
        self.validator = RequestValidator(auth_token)
        self.url, self.prefix, self.to, self.out_dir = url, prefix, to, out_dir
        self.next_number = 0

    def write(self, label: str, count: int) -> RequestFile:
        start, self.next_number = self.next_number, self.next_number + count
        path = self.out_dir / f"{label}.tsv"
        rnd = random.Random(f"{self.prefix}:{start}")
        with path.open("w") as f:
            for number in range(start, start + count):
                params = self._make(number, self.prefix, rnd)
                if self.to:
                    params["To"] = self.to
                signature = self.validator.compute_signature(self.url, params)
                if number == start and not self.validator.validate(self.url, params, signature):
                    raise AssertionError("the generated signature does not validate")
                f.write(f"{signature}\t{urlencode(params)}\n")
        return RequestFile(path, self.prefix, start, count)
