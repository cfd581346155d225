"""Errors that end a command with one line on stderr and a non-zero exit code."""

from __future__ import annotations


class ShellError(Exception):
    """A problem a person can fix (configuration, a busy port, an unreachable server).

    The message is shown as is, after ``pulseshop: error:``; ``exit_code`` is the
    process's exit status.
    """

    exit_code = 1


class ConfigError(ShellError):
    """An environment variable or option has a value we cannot use."""

    exit_code = 2
