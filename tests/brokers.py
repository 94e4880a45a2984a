"""Brokers of the test's own, to stop and start: the broker outage tests never touch the shared
ones. Redis without persistence, as the Procfile's Redis may run (a restart empties it), and a
RabbitMQ node (durable queues: a restart keeps what it confirmed)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import kombu
import redis

from tests.stack import free_port, wait_until


class RedisServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self.answers, 10, what=f"redis-server on {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # as a crash: nothing saved
            self.proc.wait()
        self.proc = None
        wait_until(lambda: not self.answers(), 10, what="redis-server gone")

    def answers(self) -> bool:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"


class RabbitMQServer:
    """A RabbitMQ node of the test's own (Debian's rabbitmq-server, its own ports, data folder
    and node name), never the machine's shared one. Its data folder outlives `stop()`, as a
    real broker's disk does: durable queues and persistent messages come back with `start()`."""

    def __init__(self, port: int, data: Path) -> None:
        self.port = port
        self.data = data
        self.node = f"pandawa-test-{port}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{port}//"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        environ = {
            **os.environ,
            "HOME": str(self.data),  # the Erlang cookie of this node alone
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(self.data / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.data / "log"),
            "RABBITMQ_PID_FILE": str(self.data / "pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.data / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.data / "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.data / "advanced.config"),
        }
        self.proc = subprocess.Popen(
            [RABBITMQ_SERVER],
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its Erlang VM and helpers stop together
        )
        wait_until(self.answers, 60, interval=0.3, what=f"rabbitmq-server on {self.port}")

    def stop(self) -> None:
        """Stopped as a host going down would stop it (SIGTERM to the node: what reached its
        disk stays there); a publisher confirm is only given for what did."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        wait_until(lambda: not self.answers(), 30, what="rabbitmq-server gone")

    def answers(self) -> bool:
        try:
            with kombu.Connection(self.url, connect_timeout=0.5) as connection:
                connection.connect()
                return True
        except Exception:  # refused, or still booting (the port opens before AMQP answers)
            return False


@contextmanager
def rabbitmq_server(data: Path) -> Iterator[RabbitMQServer]:
    server = RabbitMQServer(free_port(), data)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def broker_server(kind: str, data: Path) -> Iterator[RedisServer | RabbitMQServer]:
    """A broker of the test's own: "redis" (no persistence) or "rabbitmq" (durable)."""
    if kind == "redis":
        with redis_server() as server:
            yield server
    else:
        with rabbitmq_server(data) as server:
            yield server
