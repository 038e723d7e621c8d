"""Errors with a meaning for the caller (exit codes of the CLI)."""

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_DATA = 97  # non-retryable: the Airflow operator turns it into AirflowFailException


class BadDataError(Exception):
    """The input data violates the contract (missing column, empty file, one class...)."""


class ParityError(Exception):
    """The ONNX graph does not reproduce the scikit-learn probabilities."""
