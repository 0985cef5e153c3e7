"""Real parts for the alerts tests: role keys, a TUF repository directory, SQLite stores,
and (in test_updates) an HTTPS server with client certificates and a NATS server."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from alerts.entries import COLUMNS
from alerts.publish import Repository, create_keys


def write_list(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


STOLEN = {"list_id": "SLTD", "reference": "S-1", "category": "document", "action": "deny",
          "doc_type": "P", "doc_state": "UTO", "doc_number": "L898902C3"}  # fmt: skip
PERSON = {"list_id": "WATCH", "reference": "W-1", "category": "person", "action": "refer",
          "surname": "AL-HASSAN", "given_names": "Muhammad Abdul Rahman",
          "birth_date": "1981-07-14", "nationality": "EGY", "sex": "M",
          "note": "refer to second line"}  # fmt: skip
OTHER = {"list_id": "WATCH", "reference": "W-2", "category": "person", "action": "notify",
         "surname": "PETROV", "given_names": "Ivan", "birth_date": "1970"}  # fmt: skip


@dataclass
class Central:
    """A repository directory and its keys, as the central side keeps them."""

    directory: Path
    repo: Path
    keys: Path

    def publish(self, rows: list[dict[str, str]], **lifetimes: object) -> int:
        from alerts.publish import Lifetimes

        path = write_list(self.directory / "list.csv", rows)
        return Repository(self.repo, self.keys, Lifetimes(**lifetimes)).publish(path).version  # type: ignore[arg-type]

    @property
    def root(self) -> Path:
        return self.repo / "metadata" / "1.root.json"


@pytest.fixture
def central(tmp_path: Path) -> Central:
    keys = tmp_path / "keys"
    create_keys(keys)
    return Central(tmp_path, tmp_path / "repo", keys)
