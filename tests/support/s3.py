"""An S3-compatible server on loopback (moto's server mode, a process of its own) and buckets
on it for LanceDB roots."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from storage.lance_location import LanceLocation

REGION = "us-east-1"
# moto takes any credentials; they reach LanceDB the way real ones do, through the environment.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MotoServer:
    """`moto_server` on 127.0.0.1:port, started and stopped by the tests."""

    port: int
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, log: Path | None = None) -> MotoServer:
        """Start the server and wait until it answers; `log` gets a line per request."""
        port = free_port()
        out = log.open("ab") if log is not None else subprocess.DEVNULL
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return cls(port, process)
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("moto_server exited at start") from None
                time.sleep(0.1)
        process.kill()
        raise RuntimeError("moto_server did not answer within 30 s")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def options(self) -> dict[str, str]:
        """LanceDB storage options for this server (no secrets: see CREDENTIALS)."""
        return {"aws_endpoint": self.endpoint, "aws_region": REGION, "allow_http": "true"}

    def bucket(self) -> str:
        """A new, empty bucket."""
        import boto3

        name = f"t-{uuid.uuid4().hex[:16]}"
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        client.create_bucket(Bucket=name)
        return name

    def location(self) -> LanceLocation:
        """A shared LanceDB root in a new bucket."""
        return LanceLocation(f"s3://{self.bucket()}/lance", self.options(), shared=True)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def with_credentials(env: dict[str, str] | None = None) -> dict[str, str]:
    """`env` (default: this process's) with the test credentials."""
    return {**(os.environ if env is None else env), **CREDENTIALS}
