"""`kiosk verify` never falls over: mutated records of both formats (bytes flipped, cut,
spliced; header fields, COSE parts, protected headers, v2's envelope and body replaced by any
CBOR value, then validly re-signed so the checks behind the signature run too) each get a
report, and the report turns into JSON. 10,000 records in the default run, 100,000 with
--slow."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outbox import cose
from outbox.enrolment import Registry, load_registry
from outbox.errors import RecordError
from outbox.keys import generate_central_key, generate_signing_key, load_central_public
from outbox.record import Header, read_header, seal_record
from outbox.store import Identity, Outbox
from outbox.verify import verify

BATCH = 10

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.binary(max_size=40),
    st.text(max_size=20),
    st.sampled_from(["K-1", "UTO-N1", "test", "entry", "exit", "audit", ""]),
)
cbor_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=6), st.integers(-3, 30)), children, max_size=4),
        st.builds(
            cbor2.CBORTag, st.sampled_from([0, 1, 2, 18, 24, 32, 35, 36, 37, 258, 999]), children
        ),
    ),
    max_leaves=8,
)


class Corpus:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        generate_central_key(directory / "c.key", directory / "c.pub")
        self.key = generate_signing_key(directory / "k.pem")
        identity = Identity("K-1", "UTO-N1", self.key, load_central_public(directory / "c.pub"))
        registry = directory / "registry"
        registry.mkdir()
        (registry / "K-1.pem").write_bytes(
            __import__("outbox.keys", fromlist=["public_pem"]).public_pem(self.key)
        )
        self.registry: Registry = load_registry(registry)
        with Outbox(directory / "o.db") as box:
            self.records = [
                s.data
                for s in box.seal_many(
                    identity, [("test", "t", "entry", {"n": n}) for n in range(3)]
                )
            ]
        v1 = read_header(self.records[0]).header
        v1 = Header(**{**v1.__dict__, "seq": 4, "version": 1})
        self.records.append(seal_record(v1, {"n": 4}, identity.central, self.key, identity.kid))
        self.kid = identity.kid
        self.fed = 0

    def resign(self, payload: Any, protected: Any = None) -> bytes:
        payload_bytes = payload if isinstance(payload, bytes) else cbor2.dumps(payload)
        protected_bytes = cbor2.dumps({1: -8} if protected is None else protected)
        signature = self.key.sign(cose.sig_structure(protected_bytes, payload_bytes))
        return cbor2.dumps(
            cbor2.CBORTag(18, [protected_bytes, {4: self.kid}, payload_bytes, signature])
        )

    def resign_v2(self, claims: Any, protected: dict[Any, Any], payload: Any, body: Any) -> bytes:
        return cbor2.dumps([self.resign(payload, {**protected, 15: claims}), body])


@st.composite
def mutated_v2(draw: st.DrawFn, corpus: Corpus, data: bytes, kind: int) -> bytes:
    envelope, body = cbor2.loads(data)
    message = cbor2.loads(envelope)
    protected_bytes, _, payload, _ = message.value
    protected = dict(cbor2.loads(protected_bytes))
    claims = dict(protected[15])
    if kind == 2:  # one header claim replaced or removed, validly re-signed
        field = draw(st.sampled_from(sorted(claims)))
        if draw(st.booleans()):
            del claims[field]
        else:
            claims[field] = draw(cbor_values)
        return corpus.resign_v2(claims, protected, payload, body)
    if kind == 3:  # a protected label replaced or added, or the claims as any value
        if draw(st.booleans()):
            protected[draw(st.sampled_from([1, 3, 258, 259, 260, "x"]))] = draw(cbor_values)
            return corpus.resign_v2(claims, protected, payload, body)
        return corpus.resign_v2(draw(cbor_values), protected, payload, body)
    if kind == 4:  # the signed hash or the body as any value (the other kept)
        if draw(st.booleans()):
            return corpus.resign_v2(claims, protected, draw(cbor_values), body)
        return cbor2.dumps([envelope, draw(cbor_values)])
    parts: list[Any] = [envelope, body]  # the outer array: an item replaced, one more or less
    choice = draw(st.integers(0, 2))
    if choice == 0:
        parts[draw(st.integers(0, 1))] = draw(cbor_values)
    elif choice == 1:
        parts.append(draw(cbor_values))
    else:
        parts.pop()
    return cbor2.dumps(parts)


@st.composite
def mutated(draw: st.DrawFn, corpus: Corpus) -> bytes:
    data = draw(st.sampled_from(corpus.records))
    kind = draw(st.integers(0, 6))
    if kind == 0:  # flip bits
        raw = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            raw[draw(st.integers(0, len(raw) - 1))] ^= 1 << draw(st.integers(0, 7))
        return bytes(raw)
    if kind == 1:  # cut, splice, insert
        cut = draw(st.integers(0, len(data)))
        return data[:cut] + draw(st.binary(max_size=12)) + data[cut + draw(st.integers(0, 8)) :]
    if data[:1] != b"\xd2" and kind != 5:
        return draw(mutated_v2(corpus, data, kind))
    message = cbor2.loads(data)
    if data[:1] != b"\xd2":  # v2: one of the envelope's COSE items replaced, or the tag
        envelope, body = message
        parts = list(cbor2.loads(envelope).value)
        parts[draw(st.integers(0, 3))] = draw(cbor_values)
        tag = draw(st.sampled_from([18, 18, 18, 36, 98]))
        return cbor2.dumps([cbor2.dumps(cbor2.CBORTag(tag, parts)), body])
    _, _, payload_bytes, _ = message.value
    payload = dict(cbor2.loads(payload_bytes))
    if kind == 2:  # one header field replaced or removed, validly re-signed
        field = draw(st.sampled_from(sorted(payload)))
        if draw(st.booleans()):
            del payload[field]
        else:
            payload[field] = draw(cbor_values)
        return corpus.resign(payload)
    if kind == 3:  # an extra field, or several replaced
        for _ in range(draw(st.integers(1, 3))):
            payload[draw(st.one_of(st.text(max_size=5), st.sampled_from(sorted(payload))))] = draw(
                cbor_values
            )
        return corpus.resign(payload)
    if kind == 4:  # the protected header or the payload as any value
        if draw(st.booleans()):
            return corpus.resign(payload, protected=draw(cbor_values))
        return corpus.resign(draw(cbor_values))
    if kind == 5:  # one of the COSE array's items replaced, or the tag
        parts = list(message.value)
        parts[draw(st.integers(0, 3))] = draw(cbor_values)
        tag = draw(st.sampled_from([18, 18, 18, 36, 98]))
        return cbor2.dumps(cbor2.CBORTag(tag, parts))
    return draw(st.one_of(st.binary(max_size=64), cbor_values.map(cbor2.dumps)))


def read_both_ways(data: bytes) -> None:
    """The reader's fast path for v2 records as sealed agrees with the generic reader:
    both refuse, or both give the same record."""
    from outbox.record import _read

    try:
        generic = _read(data)
    except RecordError:
        generic = None
    try:
        fast = read_header(data)
    except RecordError:
        fast = None
    assert fast == generic, data.hex()


def feed(corpus: Corpus, batch: list[bytes]) -> None:
    corpus.fed += len(batch)
    for data in batch:
        read_both_ways(data)
    reports, kiosks = verify([(str(i), data) for i, data in enumerate(batch)], corpus.registry)
    assert len(reports) == len(batch)
    for report in reports:
        # "(SomeError)" is what the last-resort catch writes: a check that is missing.
        assert not any(p.endswith("Error)") for p in report.problems), report.problems
        json.dumps(report.to_dict())
    for kiosk in kiosks:
        json.dumps(kiosk.to_dict())


def run_fuzz(tmp_path: Path, records: int) -> None:
    corpus = Corpus(tmp_path / "corpus")

    @settings(
        max_examples=records // BATCH,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(mutated(corpus), min_size=BATCH, max_size=BATCH))
    def check(batch: list[bytes]) -> None:
        feed(corpus, batch)

    started = time.monotonic()
    check()
    print(f"\nverify fuzz: {corpus.fed} records, 0 tracebacks, {time.monotonic() - started:.1f} s")
    assert corpus.fed >= records


def test_ten_thousand_mutated_records_each_get_a_report(tmp_path: Path) -> None:
    run_fuzz(tmp_path, 10_000)


@pytest.mark.slow
def test_a_hundred_thousand_mutated_records_each_get_a_report(tmp_path: Path) -> None:
    run_fuzz(tmp_path, 100_000)
