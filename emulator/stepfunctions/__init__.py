"""The Amazon States Language: an interpreter for Step Functions state machines.

``execute(definition, input, ...)`` runs one execution to its end on a private kernel,
in virtual time: a Wait of a day or a Retry's backoff costs no wall time. The
``stepfunctions`` service runs the same ``Execution`` on the simulation's kernel, where a
Task's answer arrives later in virtual time. Both JSONPath mode (InputPath, Parameters,
ResultSelector, ResultPath, OutputPath, intrinsic functions) and JSONata mode
(``QueryLanguage``, ``Arguments``, ``Output``, ``Assign``, ``{% %}``) are supported.

AWS sources: the Amazon States Language specification (states-language.net) and the
Step Functions developer guide ("Processing input and output in Step Functions",
"Intrinsic functions for JSONPath states", "Handling errors in Step Functions workflows",
"Passing data between states with variables", "Transforming data with JSONata in Step
Functions"). ``../shared/conformance/run.py stepfunctions`` checks the interpreter
against executions recorded on AWS.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from ..kernel import Kernel
from .errors import DefinitionError, FailureError, TaskError
from .interpreter import Execution, TaskRequest

__all__ = ["DefinitionError", "Execution", "FailureError", "TaskError", "TaskRequest", "execute"]


def execute(definition: dict[str, Any], input: Any, *, context: dict[str, Any] | None = None,
            invoke: Callable[[str, Any], Any] | None = None, seed: int = 0) -> dict[str, Any]:
    """Run one execution of ``definition`` on ``input`` to its end, in virtual time.

    ``invoke(resource, payload)`` performs a Task and returns its result, or raises
    TaskError(error, cause). Returns ``{"status": "SUCCEEDED", "output": ...}`` or
    ``{"status": "FAILED" | "TIMED_OUT", "error": ..., "cause": ...}``.
    """
    kernel = Kernel()

    def run_task(request: TaskRequest) -> None:
        if invoke is None:
            request.fail("States.TaskFailed", f"No task runner for the resource {request.resource}")
            return
        try:
            result = invoke(request.resource, request.payload)
        except TaskError as error:
            request.fail(error.error, error.cause)
            return
        request.succeed(result)

    execution = Execution(definition, input, kernel=kernel, run_task=run_task, rng=random.Random(seed),
                          context=context)
    execution.start()
    kernel.run()
    return execution.result()
