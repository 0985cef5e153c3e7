"""Shared fixtures for the whole suite."""

from __future__ import annotations

import pytest

from tests.pcscd import pcscd  # noqa: F401 - sets PCSCLITE_CSOCK_NAME before any PC/SC use
from tests.servers import nats_server  # noqa: F401 - a fixture for every test package


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="run the long fault-injection rounds")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="long variant; run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
