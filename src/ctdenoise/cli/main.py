"""The ``ctdenoise`` command: a thin layer that parses arguments and calls the package API.

Each command group lives in its own module with a ``register(app)`` function. Heavy imports (torch,
OpenVINO, pyradiomics) happen inside the commands, so ``ctdenoise --help`` stays instant.
"""

from __future__ import annotations

import logging
import sys

import typer

from ctdenoise.cli import (
    evaluate_commands,
    inference_commands,
    io_commands,
    iq_commands,
    model_commands,
    phantom_commands,
    radiomics_commands,
    simulate_commands,
    study_commands,
)
from ctdenoise.errors import CtDenoiseError

app = typer.Typer(
    name="ctdenoise",
    help="Low-dose chest CT denoising (SRResNet-3D / STResNet), fast on CPUs, with quality and radiomics evaluation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root() -> None:
    """Low-dose chest CT denoising (SRResNet-3D / STResNet), fast on CPUs, with quality and radiomics evaluation."""


for command_group in (
    io_commands,
    phantom_commands,
    simulate_commands,
    model_commands,
    inference_commands,
    evaluate_commands,
    iq_commands,
    radiomics_commands,
    study_commands,
):
    command_group.register(app)


@app.command()
def version() -> None:
    """Print the ctdenoise version."""
    from ctdenoise import __version__

    typer.echo(__version__)


class _NoteHandler(logging.Handler):
    """Prints ``ctdenoise.notices`` lines as ``note: ...`` on the current stderr (stdout stays for results/--json)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"note: {record.getMessage()}", file=sys.stderr)


def _print_notices_on_stderr() -> None:
    logger = logging.getLogger("ctdenoise")
    if not any(isinstance(handler, _NoteHandler) for handler in logger.handlers):
        logger.addHandler(_NoteHandler(logging.WARNING))


def _click_exception_class() -> type[Exception]:
    """Click's ``ClickException`` (usage and bad-parameter errors), which typer vendors privately: found as a base of
    the public ``typer.BadParameter`` rather than imported from typer's private ``_click`` package."""
    return next(base for base in typer.BadParameter.__mro__ if base.__name__ == "ClickException")


def _command_path(argv: list[str]) -> str:
    """``"ctdenoise denoise"``: the (sub)commands named in ``argv``, for errors click raises without a context
    (its parser's "Option '--model' requires an argument")."""
    command, path = typer.main.get_command(app), ["ctdenoise"]
    for token in argv:
        commands = getattr(command, "commands", None)
        if not commands:
            break
        if token in commands:
            command = commands[token]
            path.append(token)
        elif not token.startswith("-"):
            break
    return " ".join(path)


def _usage_error_line(error: Exception, argv: list[str]) -> str:
    """One line for a command-line usage error: the command, click's own message, and where help is."""
    context = getattr(error, "ctx", None)
    command = context.command_path if context is not None else _command_path(argv)
    message = " ".join(error.format_message().split())  # type: ignore[attr-defined]
    return f"ctdenoise: error: {command}: {message} (see '{command} --help')"


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; bad input ends with a one-line error and exit code 2, never a traceback.

    Usage errors (an unknown option, ``--dose abc``) also end in one line instead of click's usage box.
    """
    _print_notices_on_stderr()
    # Before any command imports torch: idle OpenMP threads sleep instead of spinning on cores other processes
    # need (benchmarks/bench_threads.py measures it); a policy the user set wins.
    from ctdenoise.cpu_threads import set_passive_wait_policy

    set_passive_wait_policy()
    try:
        exit_code = app(args=argv, prog_name="ctdenoise", standalone_mode=False)
    except _click_exception_class() as error:
        if error.format_message().strip():  # type: ignore[attr-defined]  (empty: no arguments, help was printed)
            print(_usage_error_line(error, sys.argv[1:] if argv is None else argv), file=sys.stderr)
        sys.exit(getattr(error, "exit_code", 2))
    except CtDenoiseError as error:
        print(f"ctdenoise: error: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("ctdenoise: interrupted", file=sys.stderr)
        sys.exit(130)
    # Like click's standalone mode, always end in SystemExit: 0, or typer.Exit(code) from a command / click's abort.
    sys.exit(exit_code if isinstance(exit_code, int) else 0)
