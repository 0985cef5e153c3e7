"""No traveller data in any log, at any level: what the reader saw stays out of the journal."""

from __future__ import annotations

import logging
import random

import pytest

from mrz import synthetic
from mrz.image.reader import read_image

PRINT = [
    "THE<QUICK<BROWN<FOX<JUMPS<OVER<THE<LAZY<DOGS",
    "PACK<MY<BOX<WITH<FIVE<DOZEN<LIQUOR<JUGS<NOW1",
]


@pytest.mark.parametrize("lines", ["mrz", "print"])
def test_reading_logs_no_text_it_read_even_at_debug(
    lines: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The reader logged the OCR'd lines at DEBUG when a candidate read like ordinary print."""
    text = synthetic.random_mrz(random.Random(3), "TD3") if lines == "mrz" else PRINT
    sample = synthetic.render(text, synthetic.Degradation(char_height=26), random.Random(3))
    with caplog.at_level(logging.DEBUG):
        read_image(sample.image)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for line in text:
        for word in line.replace("<", " ").split():
            if len(word) >= 4:
                assert word not in logged
