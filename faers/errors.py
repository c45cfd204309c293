"""User-facing errors: every message names the file, quarter, line or value and says what to do next.

Each kind carries its exit code; faers.cli.exit_code is the one place they become one: usage 2, data and
database 1, busy 75, interrupted 130.
"""

EXIT_OK = 0
EXIT_DATA = 1  # the data or the database is missing, incomplete or wrong, a download or load failed
EXIT_USAGE = 2  # a flag, value, choice or path given on the command line is wrong
EXIT_BUSY = 75  # EX_TEMPFAIL: another faers process holds the database; try again later
EXIT_INTERRUPTED = 130


class FaersError(Exception):
    """An error the CLI prints as one clear line (no traceback) and turns into a non-zero exit code."""

    exit_code = EXIT_DATA


class ConfigError(FaersError):
    """A setting, flag or path is wrong."""

    exit_code = EXIT_USAGE


class DownloadError(FaersError):
    """A quarter could not be downloaded or verified."""


class LoadError(FaersError):
    """A quarter could not be parsed or loaded."""


class DatabaseBusy(FaersError):
    """Another faers process holds the database."""

    exit_code = EXIT_BUSY
