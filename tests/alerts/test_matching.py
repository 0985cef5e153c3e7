"""Matching: documents exactly; persons through transliteration, MRZ truncation, swapped
and missing names, measured on our own corpus of name variants (recall and false hits)."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest

from alerts import Entry, Matcher, Store, Thresholds, Traveller
from alerts.names import to_ascii, tokens
from tests.alerts.name_corpus import CORPUS, NOT_LISTED
from tests.alerts.name_pools import (
    FAMILIES,
    compatible,
    name_key,
    random_birth,
    random_person,
    variant,
)


def person(ref: str, surname: str, given: str, birth: str, **extra: str) -> Entry:
    return Entry("WATCH", ref, "person", "refer", surname=surname, given_names=given,
                 birth_date=birth, **extra)  # fmt: skip


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(tmp_path_factory.mktemp("corpus") / "alerts.db")
    entries = [person(f"C-{i}", *listed) for i, (_, listed, _) in enumerate(CORPUS)]
    store.replace(entries, {"version": 1})
    return store


def test_documents_match_exactly_on_number_state_and_type(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    store.replace(
        [Entry("SLTD", "1", "document", "deny", "P", "UTO", "L898902C3"),
         Entry("SLTD", "2", "document", "deny", "", "", "AB1234567")],
        {"version": 1},
    )  # fmt: skip
    matcher = Matcher(store)
    assert matcher.check(Traveller(doc_number="L898902C3", doc_state="UTO", doc_type="P"))
    assert matcher.check(Traveller(doc_number="l89 890-2c3", doc_state="UTO", doc_type="PO"))
    assert not matcher.check(Traveller(doc_number="L898902C3", doc_state="D", doc_type="P"))
    assert not matcher.check(Traveller(doc_number="L898902C3", doc_state="UTO", doc_type="I"))
    assert not matcher.check(Traveller(doc_number="L898902C4", doc_state="UTO", doc_type="P"))
    # a list entry without state or type matches any
    assert matcher.check(Traveller(doc_number="AB1234567", doc_state="XXA", doc_type="I"))


def test_names_are_brought_to_the_mrz_form() -> None:
    assert tokens("Al-Hassan") == ["HASSAN"]
    assert tokens("O'Neil-Smith") == ["ONEIL", "SMITH"]
    assert tokens("Müller") == ["MULLER"]
    assert tokens("张伟明") == ["ZHANG", "WEI", "MING"]
    assert to_ascii("Чайковский") == "CHAYKOVSKIY"
    assert tokens("محمد بن سلمان") == ["MHMD", "SLMN"]


def test_a_hit_carries_its_score_and_reasons(corpus_store: Store) -> None:
    hits = Matcher(corpus_store).check(
        Traveller(
            surname="ALHASAN",
            given_names="MOHAMED ABDELRAHMAN",
            birth_date="1981-07-14",
            name_field=39,
        )
    )
    assert [h.entry.reference for h in hits] == ["C-0"]
    hit = hits[0]
    assert hit.score >= 85 and hit.kind == "person"
    assert any("MOHAMED~MUHAMMAD" in r for r in hit.reasons)
    assert any("same date" in r for r in hit.reasons)


def test_a_different_date_of_birth_rules_out_the_same_name(corpus_store: Store) -> None:
    matcher = Matcher(corpus_store)
    same = Traveller(surname="HUSSEIN", given_names="ALI", birth_date="1990-11-30")
    assert matcher.check(same)
    assert not matcher.check(
        Traveller(surname="HUSSEIN", given_names="ALI", birth_date="1961-04-09")
    )
    swapped = Traveller(
        surname="HUSSEIN", given_names="ALI", birth_date="1990-30-11".replace("30-11", "11-30")
    )
    assert matcher.check(swapped)


def test_thresholds_come_from_the_caller(corpus_store: Store) -> None:
    traveller = Traveller(surname="HUSEIN", given_names="ALY", birth_date="")
    assert Matcher(corpus_store, Thresholds(person=80)).check(traveller)
    assert not Matcher(corpus_store, Thresholds(person=99.9)).check(traveller)


def measure(store: Store) -> tuple[dict[str, tuple[int, int]], list[str]]:
    matcher = Matcher(store)
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    missed = []
    for index, (kind, _listed, variants) in enumerate(CORPUS):
        for surname, given, birth, field in variants:
            hits = matcher.check(Traveller(surname=surname, given_names=given,
                                           birth_date=birth, name_field=field))  # fmt: skip
            ok = any(h.entry.reference == f"C-{index}" for h in hits)
            found[kind][0] += ok
            found[kind][1] += 1
            if not ok:
                missed.append(f"{kind}: {surname}, {given}")
    return {k: (v[0], v[1]) for k, v in found.items()}, missed


def test_recall_on_the_corpus_of_true_variants(corpus_store: Store) -> None:
    per_kind, missed = measure(corpus_store)
    total = sum(n for _, n in per_kind.values())
    hits = sum(h for h, _ in per_kind.values())
    print("\nrecall per kind:", {k: f"{h}/{n}" for k, (h, n) in per_kind.items()})
    print(f"recall {hits}/{total} = {hits / total:.1%}; missed: {missed}")
    assert hits / total >= 0.95, missed
    for kind, (h, n) in per_kind.items():
        assert h / n >= 0.8, (kind, missed)


def test_no_false_hit_on_people_who_only_share_a_name_part(corpus_store: Store) -> None:
    matcher = Matcher(corpus_store)
    false = [t for t in NOT_LISTED
             if matcher.check(Traveller(surname=t[0], given_names=t[1], birth_date=t[2], name_field=t[3]))]  # fmt: skip
    assert false == []


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, list[Entry]]:
    """20,000 generated persons of eleven cultures (tests/alerts/name_pools.py) beside the
    hand-written corpus: a list big enough for its name-part counts to mean something."""
    rng = random.Random(7)
    listed = [person(f"C-{i}", *row) for i, (_, row, _) in enumerate(CORPUS)]
    cultures = {}
    for index in range(20_000):
        culture, surname, given = random_person(rng)
        listed.append(person(f"G-{index}", surname, given, random_birth(rng)))
        cultures[f"G-{index}"] = culture
    store = Store(tmp_path_factory.mktemp("generated") / "alerts.db")
    store.replace(listed, {"version": 1})
    return store, [replace(e, note=cultures.get(e.reference, "")) for e in listed]


def test_false_hits_on_random_unlisted_travellers_stay_below_a_tenth_of_a_percent(
    generated: tuple[Store, list[Entry]],
) -> None:
    store, listed = generated
    births: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for entry in listed:
        births[name_key(entry.surname, entry.given_names)].append(entry.birth_date)
    rng = random.Random(18)
    matcher = Matcher(store)
    trials = false = namesakes = 0
    fired = []
    while trials < 4000:
        _, surname, given = random_person(rng)
        birth = random_birth(rng)
        if any(compatible(birth, b) for b in births[name_key(surname, given)]):
            namesakes += 1  # the same person as far as any list can tell: not counted
            continue
        trials += 1
        hits = matcher.check(Traveller(surname=surname, given_names=given, birth_date=birth))
        if hits:
            false += 1
            fired.append((surname, given, hits[0].reasons))
    print(f"\nfalse hits: {false}/{trials} ({namesakes} namesakes drawn again)")
    assert false / trials <= 0.001, fired


def test_recall_on_generated_variants_per_family(generated: tuple[Store, list[Entry]]) -> None:
    store, listed = generated
    rng = random.Random(11)
    matcher = Matcher(store)
    pool = [e for e in listed if e.reference.startswith("G-")]
    missed: dict[str, list[str]] = defaultdict(list)
    recall = {}
    for family in FAMILIES:
        made = found = 0
        while made < 60:
            entry = pool[rng.randrange(len(pool))]
            shown = variant(rng, family, entry.note, entry.surname, entry.given_names,
                            entry.birth_date)  # fmt: skip
            if shown is None:
                continue
            surname, given, birth, field = shown
            made += 1
            hits = matcher.check(Traveller(surname=surname, given_names=given,
                                           birth_date=birth, name_field=field))  # fmt: skip
            if any(h.entry.reference == entry.reference for h in hits):
                found += 1
            else:
                missed[family].append(
                    f"{surname}, {given} for {entry.surname}, {entry.given_names}"
                )
        recall[family] = found / made
    print("\nrecall per family:", {f: f"{r:.0%}" for f, r in recall.items()})
    assert sum(recall.values()) / len(recall) >= 0.93, missed
    for family, value in recall.items():
        # Cantonese readings of Mandarin names (CHEUNG for ZHANG, WONG for HUANG) are
        # among the generated Chinese variants and are missed, as in the corpus
        assert value >= (0.75 if family == "chinese" else 0.9), (family, missed[family])


def test_a_shared_surname_or_given_name_alone_is_no_hit(
    generated: tuple[Store, list[Entry]],
) -> None:
    store, _ = generated
    store_matcher = Matcher(store)
    hussein = Traveller(surname="HUSSEIN", given_names="ALI", birth_date="1990-11-30")
    assert store_matcher.check(hussein)
    assert not store_matcher.check(replace(hussein, given_names="OMAR"))
    assert not store_matcher.check(replace(hussein, surname="SMITH"))


def test_the_store_counts_name_parts_through_deltas(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    store.replace([person("1", "WANG", "WEI", ""), person("2", "WANG", "LI", ""),
                   Entry("SLTD", "3", "document", "deny", doc_number="X1")],
                  {"version": 1})  # fmt: skip
    assert (store.persons(), store.part_counts(["WANG", "WEI", "LI"])) == (
        2, {"WANG": 2, "WEI": 1, "LI": 1})  # fmt: skip
    store.apply_delta([("delete", person("1", "", "", "")),
                       ("upsert", person("4", "WANG", "WEI MING", ""))], 1, {"version": 2})  # fmt: skip
    assert (store.persons(), store.part_counts(["WANG", "WEI", "MING"])) == (
        2, {"WANG": 2, "WEI": 1, "MING": 1})  # fmt: skip


def test_a_failed_full_load_keeps_the_list_in_use(tmp_path: Path) -> None:
    from alerts import ListError

    store = Store(tmp_path / "a.db")
    store.replace([person("1", "PETROV", "IVAN", "1970")], {"version": 1})
    twice = [person("1", "A", "B", ""), person("1", "C", "D", "")]
    with pytest.raises(ListError, match="two entries"):
        store.replace(twice, {"version": 2})
    assert store.version == 1 and [e.surname for e in store.entries()] == ["PETROV"]
    assert not (tmp_path / "a.db.new").exists()


def test_a_delta_for_another_version_is_refused(tmp_path: Path) -> None:
    from alerts import ListError

    store = Store(tmp_path / "a.db")
    store.replace([person("1", "PETROV", "IVAN", "1970")], {"version": 3})
    with pytest.raises(ListError, match="applies to version 2"):
        store.apply_delta([("delete", person("1", "", "", ""))], 2, {"version": 4})
    upserted, deleted = store.apply_delta(
        [("delete", person("1", "", "", "")), ("upsert", person("2", "SOKOLOV", "IVAN", ""))],
        3,
        {"version": 4},
    )
    assert (upserted, deleted, store.version) == (1, 1, 4)
    matcher = Matcher(store)
    assert not matcher.check(Traveller(surname="PETROV", given_names="IVAN", birth_date="1970"))
    assert matcher.check(Traveller(surname="SOKOLOW", given_names="IWAN"))
