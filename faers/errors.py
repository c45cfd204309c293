"""User-facing errors: every message names the file, quarter, line or value and says what to do next."""


class FaersError(Exception):
    """An error the CLI prints as one clear line (no traceback) and turns into a non-zero exit code."""

    exit_code = 1


class ConfigError(FaersError):
    """A setting, flag or path is wrong."""

    exit_code = 2


class DownloadError(FaersError):
    """A quarter could not be downloaded or verified."""


class LoadError(FaersError):
    """A quarter could not be parsed or loaded."""


class DatabaseBusy(FaersError):
    """Another faers process holds the database."""

    exit_code = 75  # EX_TEMPFAIL: try again later
