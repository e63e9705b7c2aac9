"""The errors an execution raises and catches, with the names the States Language defines."""

from __future__ import annotations


class TaskError(Exception):
    """A Task's failure as the integrated service reported it: an error name and its cause."""

    def __init__(self, error: str | None, cause: str | None = None) -> None:
        super().__init__(error, cause)
        self.error = error
        self.cause = cause

    def __str__(self) -> str:
        return f"{self.error}: {self.cause}" if self.cause else str(self.error)


class FailureError(TaskError):
    """A state failed: the error and cause travel to Retry, Catch or the execution's end."""


class RuntimeFailure(FailureError):
    """States.Runtime: bad data met at run time (a path that matches nothing, a wrong type)."""

    def __init__(self, cause: str) -> None:
        super().__init__(ALL_RUNTIME, cause)


class QueryEvaluationError(FailureError):
    """States.QueryEvaluationError: a JSONata expression failed or returned the wrong type."""

    def __init__(self, cause: str) -> None:
        super().__init__(QUERY_EVALUATION, cause)


class DefinitionError(ValueError):
    """The definition is not a valid state machine; the message names the JSON pointer."""


ALL = "States.ALL"
ALL_RUNTIME = "States.Runtime"
DATA_LIMIT = "States.DataLimitExceeded"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
NO_CHOICE = "States.NoChoiceMatched"
BRANCH_FAILED = "States.BranchFailed"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
QUERY_EVALUATION = "States.QueryEvaluationError"
RESULT_PATH_MATCH = "States.ResultPathMatchFailure"
PARAMETER_PATH = "States.ParameterPathFailure"
EXCEEDED_TOLERATED = "States.ExceedToleratedFailureThreshold"
# States.ALL matches every error but these (the States Language spec, "Errors": a
# terminal States.Runtime and the data limit cannot be retried or caught).
UNCATCHABLE = frozenset({ALL_RUNTIME, DATA_LIMIT})
# States.TaskFailed matches any error except States.Timeout (AWS's error names table).
