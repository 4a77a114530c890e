"""The one exception type users see: a clear, one-line message naming the file and the problem."""


class CtDenoiseError(Exception):
    """Bad input or a refused operation; the CLI prints the message on one line and exits with code 2."""
