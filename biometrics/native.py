"""Keep native libraries' own messages off the terminal.

NIST's WSQ decoder and NBIS write diagnostics ("ERROR : getc_byte : premature End Of
Buffer") straight to file descriptor 2 from C, which no Python logging setting reaches.
`quiet_stderr()` points fd 2 at a temporary file for the duration of a native call and
hands what was written to `logging` (debug level) instead; our own error for the failure
is what the user sees. It changes fd 2 for the whole process, so use it only around
short native calls (the CLI and the quality worker, which own their process).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator

log = logging.getLogger(__name__)


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    try:
        fd = sys.stderr.fileno() if sys.stderr is not None else 2
    except (AttributeError, OSError, ValueError):
        fd = 2  # Textual's or pytest's replacement stream: the descriptor is still 2
    with tempfile.TemporaryFile() as sink:
        try:
            saved = os.dup(fd)
        except OSError:  # no descriptor 2 at all (a daemon): nothing to keep quiet
            yield
            return
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(sink.fileno(), fd)
        try:
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            sink.seek(0)
            noise = sink.read().decode("utf-8", "replace").strip()
            if noise:
                log.debug("native library said: %s", noise)
