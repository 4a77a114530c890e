"""Keep ``--json`` output machine-readable: while a command works, everything written to stdout goes to stderr.

Libraries print on stdout behind our back (NNCF's rich progress bars "Statistics collection …", native code
writing to file descriptor 1), so the redirection is done on the file descriptor as well as on ``sys.stdout``;
afterwards the command prints its one JSON object on the real stdout.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

STDOUT_FD, STDERR_FD = 1, 2


@contextlib.contextmanager
def stdout_to_stderr(enabled: bool = True) -> Iterator[None]:
    """Within the block, route Python's and the process's stdout to stderr (a no-op when not ``enabled``)."""
    if not enabled:
        yield
        return
    sys.stdout.flush()
    saved_fd = os.dup(STDOUT_FD)
    saved_stdout = sys.stdout
    os.dup2(STDERR_FD, STDOUT_FD)
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved_fd, STDOUT_FD)
        os.close(saved_fd)
        sys.stdout = saved_stdout
