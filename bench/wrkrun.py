"""Run wrk with webhook.lua and read back its machine-readable summary."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from signed import RequestFile

LUA = Path(__file__).resolve().parent / "webhook.lua"


@dataclass
class WrkResult:
    raw: dict  # the BENCH_JSON line of webhook.lua's done()
    text: str  # wrk's own report

    @property
    def seconds(self) -> float:
        return self.raw["duration_us"] / 1e6

    @property
    def completed(self) -> int:
        return self.raw["requests"]

    @property
    def rps(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    @property
    def non2xx(self) -> int:
        return self.raw["errors"]["status"]  # wrk counts statuses > 399

    @property
    def ok(self) -> int:
        return self.completed - self.non2xx

    @property
    def socket_errors(self) -> int:
        e = self.raw["errors"]
        return e["connect"] + e["read"] + e["write"] + e["timeout"]

    @property
    def per_thread_issued(self) -> list[int]:
        return [t["issued"] for t in sorted(self.raw["threads"], key=lambda t: t["tid"])]

    @property
    def issued(self) -> int:
        return sum(self.per_thread_issued)

    @property
    def exhausted(self) -> bool:
        """A thread ran out of fresh MessageSids before the end: the run is cut short."""
        return any(t["exhausted"] for t in self.raw["threads"])

    def latency_ms(self, key: str) -> float:
        return self.raw["latency_us"][key] / 1000.0

    def summary(self) -> dict:
        return {
            "rps": round(self.rps, 1),
            "seconds": round(self.seconds, 2),
            "completed": self.completed,
            "ok": self.ok,
            "non2xx": self.non2xx,
            "socket_errors": self.raw["errors"],
            "issued": self.issued,
            "exhausted": self.exhausted,
            "latency_ms": {k: round(v / 1000.0, 2) for k, v in self.raw["latency_us"].items()},
        }


def run_wrk(
    base_url: str,
    path: str,
    requests: RequestFile,
    *,
    threads: int,
    connections: int,
    seconds: float,
) -> WrkResult:
    env = {**os.environ, "REQS": str(requests.path), "NTHREADS": str(threads), "WEBHOOK_PATH": path}
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--latency",
        "-s",
        str(LUA),
        base_url + path,
    ]
    done = subprocess.run(
        cmd,
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(
            f"wrk failed ({done.returncode}): {done.stdout[-1500:]}{done.stderr[-1500:]}"
        )
    text = "\n".join(ln for ln in done.stdout.splitlines() if not ln.startswith("BENCH_JSON "))
    return WrkResult(json.loads(line.removeprefix("BENCH_JSON ")), text)
