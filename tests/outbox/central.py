"""A small central side for tests: an HTTPS server with mutual TLS that verifies and stores
records, and a certificate authority to issue its and the kiosk's certificates."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from outbox import cbor
from outbox.errors import RecordError
from outbox.record import verify_record
from outbox.verify import load_registry


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@dataclass
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    stranger_cert: Path  # signed by another CA
    stranger_key: Path


def make_pki(directory: Path) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)

    def authority(common: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common))
            .issuer_name(_name(common))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        return key, cert

    def issue(
        ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate], common: str, server: bool
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common))
            .issuer_name(ca[1].subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
        return key, builder.sign(ca[0], hashes.SHA256())

    ca = authority("test central CA")
    other = authority("someone else's CA")
    pki = Pki(*(directory / n for n in ("ca.pem", "server.pem", "server.key", "client.pem",
                                        "client.key", "stranger.pem", "stranger.key")))  # fmt: skip
    pki.ca.write_bytes(ca[1].public_bytes(serialization.Encoding.PEM))
    for (key, cert), cert_path, key_path in (
        (issue(ca, "localhost", True), pki.server_cert, pki.server_key),
        (issue(ca, "K-1", False), pki.client_cert, pki.client_key),
        (issue(other, "K-1", False), pki.stranger_cert, pki.stranger_key),
    ):
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key_path, key)
    return pki


@dataclass
class CentralHttps:
    """Stores verified records by id; `mode` injects faults: ok, 500, slow, half, and
    stranger (also acknowledges a record id that was not in the batch)."""

    pki: Pki
    registry: Path
    mode: str = "ok"
    stored: dict[bytes, bytes] = field(default_factory=dict)
    posts: int = 0
    server: ThreadingHTTPServer | None = None
    statuses: list[str] = field(default_factory=list)  # Kiosk-Status headers received

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"https://127.0.0.1:{self.server.server_address[1]}/records"

    def start(self) -> None:
        keys = load_registry(self.registry)
        central = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                central.posts += 1
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Kiosk-Status"):
                    central.statuses.append(self.headers["Kiosk-Status"])
                if central.mode == "500":
                    self.send_error(500)
                    return
                if central.mode == "slow":
                    time.sleep(3)
                records = cbor.decode(body, "batch")
                results = []
                for index, data in enumerate(records):
                    if central.mode == "half" and index >= len(records) // 2:
                        break
                    try:
                        record = verify_record(data, keys.get)
                    except RecordError as exc:
                        results.append({"id": "", "status": "rejected", "reason": str(exc)})
                        continue
                    rid = record.header.record_id
                    status = "duplicate" if rid in central.stored else "stored"
                    central.stored[rid] = data
                    results.append({"id": rid.hex(), "status": status})
                if central.mode == "stranger":
                    results.append({"id": "ab" * 16, "status": "stored"})
                reply = json.dumps({"results": results}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.pki.server_cert, self.pki.server_key)
        context.load_verify_locations(self.pki.ca)
        context.verify_mode = ssl.CERT_REQUIRED  # mutual TLS
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self.server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
