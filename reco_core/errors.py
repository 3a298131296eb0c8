"""Errors a user can act on.

A RecoError carries a message meant for a human (one line, naming the file, column, flag or
field at fault); the CLI prints it without a traceback and exits with `exit_code`. Anything
else escaping is a bug and keeps its traceback.
"""


class RecoError(Exception):
    """A problem with input, configuration or environment, explained in one line."""

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class DataContractError(RecoError):
    """An input table does not follow the data contract (missing column, wrong type...)."""

    exit_code = 3


class WarehouseError(RecoError):
    """The warehouse cannot be reached, refuses our credentials or rejects a query."""

    exit_code = 4


class ArtifactError(RecoError):
    """A run directory is missing, incomplete or fails verification."""

    exit_code = 5
