"""One-line notices about what ctdenoise skipped or changed on the way (a file left out, a partial slab).

They go to the ``ctdenoise`` logger at WARNING level: the CLI prints each as ``note: <message>`` on stderr, and a
Python caller sees them through ``logging`` (or Python's last-resort handler, also on stderr) — never on stdout,
so ``--json`` output stays machine-readable.
"""

from __future__ import annotations

import logging

LOGGER = logging.getLogger("ctdenoise")


def notice(message: str) -> None:
    """Report one line that the user should see but that does not stop the work."""
    LOGGER.warning(message)
