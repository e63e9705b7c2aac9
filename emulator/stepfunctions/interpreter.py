"""One state machine execution, run on the emulator's kernel with callbacks.

A state does its work and then either moves on (``Next``), ends its branch, or fails with
an error that goes through the state's Retry and Catch. Each step is scheduled on the
kernel (no recursion however long the execution), waits and retry delays are kernel
delays (virtual time), and a Task hands a ``TaskRequest`` to whoever runs tasks: it
answers with ``succeed(result)`` or ``fail(error, cause)`` whenever its answer arrives,
now or later in virtual time. Rules and numbers: the Amazon States Language
specification and the Step Functions developer guide pages "Processing input and output",
"Handling errors in Step Functions workflows", "Wait workflow state", "Map workflow state",
"Parallel workflow state" and "Passing data between states with variables".
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import msgspec

from ..kernel import Event, Kernel
from . import choice, intrinsics, paths
from .errors import (
    ALL,
    DATA_LIMIT,
    EXCEEDED_TOLERATED,
    HEARTBEAT_TIMEOUT,
    NO_CHOICE,
    TASK_FAILED,
    TIMEOUT,
    UNCATCHABLE,
    FailureError,
    QueryEvaluationError,
    RuntimeFailure,
)
from .jsonata_mode import Evaluator, is_expression

# Step Functions' payload limit: 256 KiB for a state's input or output ("Quotas").
MAX_PAYLOAD_BYTES = 262_144
DEFAULT_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
# "In this mode, the Map state supports up to 40 concurrent iterations" ("Using Map state in Inline mode").
INLINE_MAP_CONCURRENCY = 40


class TaskRequest:
    """A Task state's call to a resource; answer it once with ``succeed`` or ``fail``."""

    __slots__ = ("resource", "payload", "state_name", "token", "execution", "_answer", "answered",
                 "timeout_seconds", "heartbeat_seconds")

    def __init__(self, execution: Execution, resource: str, payload: Any, state_name: str, token: str | None,
                 answer: Callable[[bool, Any, str | None, str | None], None],
                 timeout_seconds: float | None, heartbeat_seconds: float | None) -> None:
        self.execution = execution
        self.resource = resource
        self.payload = payload
        self.state_name = state_name
        self.token = token
        self._answer = answer
        self.answered = False
        self.timeout_seconds = timeout_seconds
        self.heartbeat_seconds = heartbeat_seconds

    def succeed(self, result: Any) -> None:
        if not self.answered:
            self.answered = True
            self._answer(True, result, None, None)

    def fail(self, error: str | None, cause: str | None = None) -> None:
        if not self.answered:
            self.answered = True
            self._answer(False, None, error, cause)


TaskRunner = Callable[[TaskRequest], None]


def _size(value: Any) -> int:
    # The UTF-8 JSON text AWS measures; msgspec writes it compactly, and fast.
    return len(_encode(value))


_encode = msgspec.json.Encoder().encode


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Execution:
    """An execution of ``definition`` on ``input``; ``start()`` it, and ``on_finish`` is told the end."""

    def __init__(self, definition: dict[str, Any], input: Any, *, kernel: Kernel, run_task: TaskRunner,
                 rng: random.Random, context: dict[str, Any] | None = None,
                 on_finish: Callable[[Execution], None] | None = None,
                 on_event: Callable[[Execution, dict[str, Any]], None] | None = None,
                 epoch: datetime = DEFAULT_EPOCH, max_duration: float | None = None,
                 transition_delay: Callable[[], float] | None = None) -> None:
        self.definition = definition
        self.input = input
        self.kernel = kernel
        self.run_task = run_task
        self.rng = rng
        self.on_finish = on_finish
        self.on_event = on_event
        self.epoch = epoch
        self.max_duration = max_duration
        # How long the service takes to move from one state to the next (0 when None).
        self.transition_delay = transition_delay
        self.started_at = kernel.now
        supplied = context or {}
        execution = dict(supplied.get("Execution", {}))
        machine = dict(supplied.get("StateMachine", {}))
        machine.setdefault("Name", "StateMachine")
        machine.setdefault("Id", f"arn:aws:states:us-east-1:111111111111:stateMachine:{machine['Name']}")
        execution.setdefault("Name", f"execution-{rng.getrandbits(32):08x}")
        execution.setdefault("Id", f"arn:aws:states:us-east-1:111111111111:execution:{machine['Name']}:"
                                   f"{execution['Name']}")
        execution.setdefault("RoleArn", "arn:aws:iam::111111111111:role/StepFunctions")
        execution.setdefault("RedriveCount", 0)
        execution["Input"] = input
        execution["StartTime"] = _iso(self.now_datetime())
        self.context_execution = execution
        self.context_machine = machine
        self.status = "RUNNING"
        self.output: Any = None
        self.error: str | None = None
        self.cause: str | None = None
        self.history: list[dict[str, Any]] = []
        self.transitions = 0
        self._timeout: Event | None = None
        self.root: Branch | None = None

    # -- the clock and the history ------------------------------------------------------
    def now_datetime(self) -> datetime:
        return self.epoch + timedelta(seconds=self.kernel.now)

    def record(self, kind: str, **details: Any) -> int:
        event = {"id": len(self.history) + 1, "type": kind, "time": self.kernel.now, **details}
        self.history.append(event)
        if self.on_event is not None:
            self.on_event(self, event)
        return int(event["id"])

    # -- life -----------------------------------------------------------------------------
    def start(self) -> None:
        self.record("ExecutionStarted", input=self.input)
        timeout = self.definition.get("TimeoutSeconds")
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            timeout = None
        if self.max_duration is not None:
            timeout = self.max_duration if timeout is None else min(timeout, self.max_duration)
        if timeout is not None:
            self._timeout = self.kernel.schedule(timeout, self._timed_out)
        self.root = Branch(self, self.definition, self.input, {}, None, self._branch_done)
        self.root.start()

    def _timed_out(self) -> None:
        self._timeout = None
        if self.status == "RUNNING":
            if self.root is not None:
                self.root.abort()
            self._finish("TIMED_OUT", None, TIMEOUT, "The execution timed out.")

    def stop(self, error: str | None = None, cause: str | None = None) -> None:
        """End the execution now as ABORTED (StopExecution)."""
        if self.status == "RUNNING":
            if self.root is not None:
                self.root.abort()
            self._finish("ABORTED", None, error, cause)

    def _branch_done(self, ok: bool, value: Any, error: str | None, cause: str | None) -> None:
        if self.status != "RUNNING":
            return
        if ok:
            self._finish("SUCCEEDED", value, None, None)
        else:
            self._finish("FAILED", None, error, cause)

    def _finish(self, status: str, output: Any, error: str | None, cause: str | None) -> None:
        if self._timeout is not None:
            self.kernel.cancel(self._timeout)
            self._timeout = None
        self.status = status
        self.output, self.error, self.cause = output, error, cause
        kind = {"SUCCEEDED": "ExecutionSucceeded", "FAILED": "ExecutionFailed", "TIMED_OUT": "ExecutionTimedOut",
                "ABORTED": "ExecutionAborted"}[status]
        if status == "SUCCEEDED":
            self.record(kind, output=output)
        else:
            self.record(kind, error=error, cause=cause)
        # The root branch refers back to the execution: drop it so that a finished execution is
        # freed by reference counting, not left to the cyclic garbage collector.
        self.root = None
        if self.on_finish is not None:
            self.on_finish(self)

    def result(self) -> dict[str, Any]:
        if self.status == "SUCCEEDED":
            return {"status": "SUCCEEDED", "output": self.output}
        return {"status": self.status, "error": self.error, "cause": self.cause}


BranchDone = Callable[[bool, Any, "str | None", "str | None"], None]


class Branch:
    """The states of a machine, a Parallel branch or a Map iteration, run from StartAt."""

    def __init__(self, execution: Execution, machine: dict[str, Any], input: Any, variables: dict[str, Any],
                 map_item: dict[str, Any] | None, done: BranchDone, query_language: str | None = None) -> None:
        self.execution = execution
        self.machine = machine
        self.states: dict[str, Any] = machine["States"]
        self.input = input
        self.variables = variables
        self.map_item = map_item
        self.done = done
        self.query_language = machine.get("QueryLanguage", query_language or "JSONPath")
        self.active = True
        self.pending: Event | None = None
        self.children: list[Branch] = []
        self.request: TaskRequest | None = None

    def start(self) -> None:
        self.schedule(self.step(), self.enter, self.machine["StartAt"], self.input)

    def step(self) -> float:
        delay = self.execution.transition_delay
        return 0.0 if delay is None else delay()

    def schedule(self, delay: float, callback: Callable[..., None], *args: Any) -> None:
        self.pending = self.execution.kernel.schedule(delay, self._run, callback, args)

    def _run(self, callback: Callable[..., None], args: tuple[Any, ...]) -> None:
        self.pending = None
        if self.active:
            callback(*args)

    def abort(self) -> None:
        self.active = False
        if self.pending is not None:
            Kernel.cancel(self.pending)
            self.pending = None
        if self.request is not None:
            self.request.answered = True
            self.request = None
        for child in self.children:
            child.abort()
        self.children = []

    def end(self, ok: bool, value: Any, error: str | None = None, cause: str | None = None) -> None:
        if self.active:
            self.active = False
            self.done(ok, value, error, cause)

    def enter(self, name: str, raw_input: Any) -> None:
        StateRun(self, name, raw_input).begin()


class StateRun:
    """One visit of one state: its data flow, its work, its Retry and Catch."""

    def __init__(self, branch: Branch, name: str, raw_input: Any) -> None:
        self.branch = branch
        self.execution = branch.execution
        self.name = name
        self.state: dict[str, Any] = branch.states[name]
        self.type: str = self.state["Type"]
        self.raw_input = raw_input
        self.jsonata = self.state.get("QueryLanguage", branch.query_language) == "JSONata"
        self.retry_counts: dict[int, int] = {}
        self.attempt = 0
        self.entered_id = 0
        self.entered_at = 0.0
        self.evaluator: Evaluator | None = None
        self.task_token: str | None = None

    # -- helpers ------------------------------------------------------------------------
    def record(self, kind: str, **details: Any) -> int:
        """A history event of this visit: it names the state and the visit's StateEntered event."""
        return self.execution.record(kind, name=self.name, entered=self.entered_id, **details)

    def prefix(self) -> str:
        return (f"An error occurred while executing the state '{self.name}' "
                f"(entered at the event id #{self.entered_id}).")

    def runtime(self, message: str) -> RuntimeFailure:
        return RuntimeFailure(f"{self.prefix()} {message}")

    def context(self) -> dict[str, Any]:
        ctx: dict[str, Any] = {
            "Execution": self.execution.context_execution,
            "State": {"EnteredTime": _iso(self.execution.epoch + timedelta(seconds=self.entered_at)),
                      "Name": self.name, "RetryCount": self.attempt},
            "StateMachine": self.execution.context_machine,
        }
        if self.branch.map_item is not None:
            ctx["Map"] = {"Item": self.branch.map_item}
        if self.task_token is not None:
            ctx["Task"] = {"Token": self.task_token}
        return ctx

    def jsonata_states(self, **extra: Any) -> dict[str, Any]:
        states = {"input": self.raw_input, "context": self.context()}
        states.update(extra)
        return states

    def query(self, value: Any, field: str, **extra: Any) -> Any:
        assert self.evaluator is not None
        return self.evaluator.template(value, self.jsonata_states(**extra), self.branch.variables, field)

    def read_path(self, path: str, document: Any, field: str) -> Any:
        """The value a ``.$`` field's path or intrinsic selects; States.Runtime when none."""
        if intrinsics.is_intrinsic(path):
            try:
                # Build the context object only for an expression that reads it.
                context = self.context() if "$$" in path else {}
                return intrinsics.evaluate(path, document, context, self.execution.rng, field)
            except RuntimeFailure as failure:
                raise self.runtime(str(failure.cause)) from None
        try:
            return self.lookup(path, document)
        except paths.PathError:
            source = self.context() if path.startswith("$$") else document
            raise self.runtime(f"The JSONPath '{path}' specified for the field '{field}' could not be found in the "
                               f"input '{_compact(source)}'") from None

    def lookup(self, path: str, document: Any) -> Any:
        if path.startswith("$$"):
            return paths.evaluate(path[1:], self.context())
        if len(path) > 1 and path[1] not in ".[":
            name, rest = _split_variable(path)
            if name not in self.branch.variables:
                raise paths.PathError(f"The variable '{name}' is not defined")
            return paths.evaluate("$" + rest, self.branch.variables[name])
        return paths.evaluate(path, document)

    def apply_path(self, field: str, document: Any) -> Any:
        """InputPath and OutputPath: the selected part of the document; null gives {}."""
        if field not in self.state:
            return document
        path = self.state[field]
        if path is None:
            return {}
        try:
            return self.lookup(path, document)
        except paths.PathError as error:
            raise self.runtime(f"Invalid path '{path}' : {error}") from None

    def template(self, template: Any, document: Any, field: str) -> Any:
        """A Parameters-style payload template: keys ending in ``.$`` take paths or intrinsics."""
        if isinstance(template, dict):
            out: dict[str, Any] = {}
            for key, value in template.items():
                if key.endswith(".$") and isinstance(value, str):
                    out[key[:-2]] = self.read_path(value, document, key)
                else:
                    out[key] = self.template(value, document, key)
            return out
        if isinstance(template, list):
            return [self.template(item, document, field) for item in template]
        return template

    def result_path(self, raw_input: Any, result: Any, path_field: str = "ResultPath",
                    spec: dict[str, Any] | None = None) -> Any:
        spec = self.state if spec is None else spec
        if path_field not in spec:
            return result
        path = spec[path_field]
        if path is None:
            return raw_input
        try:
            return paths.assign(raw_input, path, result)
        except paths.PathError as error:
            raise self.runtime(f"Invalid path '{path}' : {error}") from None

    def check_size(self, value: Any) -> None:
        if _size(value) > MAX_PAYLOAD_BYTES:
            raise FailureError(DATA_LIMIT, f"The state/task '{self.name}' returned a result with a size exceeding the "
                                           "maximum number of bytes service limit.")

    # -- the visit ----------------------------------------------------------------------
    def begin(self) -> None:
        execution = self.execution
        execution.transitions += 1
        self.entered_at = execution.kernel.now
        self.entered_id = len(execution.history) + 1
        self.record(f"{self.type}StateEntered", input=self.raw_input)
        if self.jsonata:
            self.evaluator = Evaluator(self.name, self.entered_id, execution.rng, execution.now_datetime)
        try:
            self.work()
        except FailureError as failure:
            self.failed(failure.error, failure.cause)

    def work(self) -> None:
        handler = getattr(self, "_" + self.type.lower(), None)
        if handler is None:
            raise self.runtime(f"The state type '{self.type}' is not supported")
        handler()

    def effective(self, parameters_field: str = "Parameters") -> Any:
        """InputPath then Parameters (JSONPath) or Arguments (JSONata) over the raw input."""
        if self.jsonata:
            if "Arguments" in self.state:
                return self.query(self.state["Arguments"], "Arguments")
            return self.raw_input
        selected = self.apply_path("InputPath", self.raw_input)
        if parameters_field in self.state:
            return self.template(self.state[parameters_field], selected, parameters_field)
        return selected

    def complete(self, result: Any, next_state: str | None = None, *, result_selector: bool = True) -> None:
        """Finish the state's data flow with ``result`` and move on."""
        if self.jsonata:
            variables_before = self.branch.variables
            states_extra = {"result": result}
            output = self.query(self.state["Output"], "Output", **states_extra) if "Output" in self.state else result
            if "Assign" in self.state:
                assigned = self.query(self.state["Assign"], "Assign", **states_extra)
                self.branch.variables = {**variables_before, **assigned}
        else:
            if result_selector and "ResultSelector" in self.state:
                result = self.template(self.state["ResultSelector"], result, "ResultSelector")
            if "Assign" in self.state:
                assigned = self.template(self.state["Assign"], result, "Assign")
            else:
                assigned = None
            output = self.result_path(self.raw_input, result)
            output = self.apply_path("OutputPath", output)
            if assigned is not None:
                self.branch.variables = {**self.branch.variables, **assigned}
        self.check_size(output)
        self.exit(output, next_state)

    def exit(self, output: Any, next_state: str | None = None) -> None:
        self.record(f"{self.type}StateExited", output=output)
        target = next_state if next_state is not None else self.state.get("Next")
        branch = self.branch
        if target is None or (self.state.get("End") is True and next_state is None):
            branch.schedule(0, branch.end, True, output)
        else:
            branch.schedule(branch.step(), branch.enter, target, output)

    # -- errors: Retry, then Catch ------------------------------------------------------
    def failed(self, error: str | None, cause: str | None) -> None:
        """The state failed with ``error``: retry it, catch it, or fail the branch."""
        name = error or ""
        if name not in UNCATCHABLE:
            for position, retrier in enumerate(self.state.get("Retry", ())):
                if not _matches(retrier.get("ErrorEquals", ()), name):
                    continue
                done = self.retry_counts.get(position, 0)
                max_attempts = retrier.get("MaxAttempts", 3)
                if done >= max_attempts:
                    break
                self.retry_counts[position] = done + 1
                self.attempt += 1
                delay = float(retrier.get("IntervalSeconds", 1)) * float(retrier.get("BackoffRate", 2.0)) ** done
                cap = retrier.get("MaxDelaySeconds")
                if cap is not None:
                    delay = min(delay, float(cap))
                if retrier.get("JitterStrategy") == "FULL":
                    delay = self.execution.rng.uniform(0, delay)
                self.branch.schedule(delay, self._retry)
                return
            for catcher in self.state.get("Catch", ()):
                if _matches(catcher.get("ErrorEquals", ()), name):
                    try:
                        self._caught(catcher, error, cause)
                    except FailureError as failure:
                        self.branch.end(False, None, failure.error, failure.cause)
                    return
        self.record(f"{self.type}StateFailed" if self.type in ("Map", "Parallel") else "StateFailed",
                    error=error, cause=cause)
        self.branch.end(False, None, error, cause)

    def _retry(self) -> None:
        # Each retry is billed as a state transition ("AWS Step Functions Pricing").
        self.execution.transitions += 1
        try:
            self.work()
        except FailureError as failure:
            self.failed(failure.error, failure.cause)

    def _caught(self, catcher: dict[str, Any], error: str | None, cause: str | None) -> None:
        error_output: dict[str, Any] = {"Error": error, "Cause": cause}
        if error is None:
            del error_output["Error"]
        if cause is None:
            del error_output["Cause"]
        if self.jsonata:
            extra = {"errorOutput": error_output}
            output = self.query(catcher["Output"], "Catch/Output", **extra) if "Output" in catcher else error_output
            if "Assign" in catcher:
                assigned = self.query(catcher["Assign"], "Catch/Assign", **extra)
                self.branch.variables = {**self.branch.variables, **assigned}
        else:
            output = self.result_path(self.raw_input, error_output, spec=catcher)
            if "Assign" in catcher:
                assigned = self.template(catcher["Assign"], error_output, "Assign")
                self.branch.variables = {**self.branch.variables, **assigned}
        self.exit(output, catcher["Next"])

    # -- the state types ----------------------------------------------------------------
    def _pass(self) -> None:
        if self.jsonata:
            self.complete(self.raw_input)
            return
        if "Result" in self.state:
            self.apply_path("InputPath", self.raw_input)  # a path that selects nothing fails even here
            result = self.state["Result"]
        else:
            result = self.effective()
        self.complete(result, result_selector=False)

    def _succeed(self) -> None:
        if self.jsonata:
            output = self.query(self.state["Output"], "Output") if "Output" in self.state else self.raw_input
        else:
            output = self.apply_path("OutputPath", self.apply_path("InputPath", self.raw_input))
        self.record("SucceedStateExited", output=output)
        self.branch.schedule(0, self.branch.end, True, output)

    def _fail(self) -> None:
        state = self.state
        if self.jsonata:
            error = self.query(state["Error"], "Error") if "Error" in state else None
            cause = self.query(state["Cause"], "Cause") if "Cause" in state else None
        else:
            error = self._fail_field("Error")
            cause = self._fail_field("Cause")
        self.branch.end(False, None, error, cause)

    def _fail_field(self, field: str) -> str | None:
        if field + "Path" in self.state:
            value = self.read_path(self.state[field + "Path"], self.raw_input, field + "Path")
            return value if isinstance(value, str) else _compact(value)
        value = self.state.get(field)
        return value if isinstance(value, str) else None

    def _choice(self) -> None:
        if self.jsonata:
            for rule in self.state.get("Choices", ()):
                holds = self.query(rule["Condition"], "Condition")
                if not isinstance(holds, bool):
                    source = rule["Condition"][2:-2].strip()
                    raise QueryEvaluationError(
                        f"{self.prefix()} The JSONata expression '{source}' specified for the field 'Condition' "
                        f"returned an unexpected result type. Expected 'boolean', but was '{_type_name(holds)}' for "
                        f"value: {_compact(holds)}")
                if holds:
                    self._choose(rule, rule["Next"])
                    return
        else:
            document = self.apply_path("InputPath", self.raw_input)

            def lookup(path: str) -> Any:
                try:
                    return self.lookup(path, document)
                except paths.PathError:
                    return choice.MISSING

            for rule in self.state.get("Choices", ()):
                if choice.evaluate(rule, lookup):
                    self._choose(rule, rule["Next"])
                    return
        if "Default" in self.state:
            self._choose(None, self.state["Default"])
            return
        raise FailureError(NO_CHOICE, f"No Choice Rule matched and no Default was specified for the state "
                                      f"'{self.name}'.")

    def _choose(self, rule: dict[str, Any] | None, next_state: str) -> None:
        if self.jsonata:
            # A matched rule's own Output/Assign take the place of the state's.
            spec = rule if rule is not None else {}
            output_spec = spec.get("Output", self.state.get("Output"))
            assign_spec = spec.get("Assign", self.state.get("Assign"))
            output = self.raw_input if output_spec is None else self.query(output_spec, "Output")
            if assign_spec is not None:
                assigned = self.query(assign_spec, "Assign")
                self.branch.variables = {**self.branch.variables, **assigned}
        else:
            output = self.apply_path("OutputPath", self.apply_path("InputPath", self.raw_input))
            assign_spec = rule.get("Assign") if rule is not None else self.state.get("Assign")
            if assign_spec is not None:
                assigned = self.template(assign_spec, self.raw_input, "Assign")
                self.branch.variables = {**self.branch.variables, **assigned}
        self.exit(output, next_state)

    def _wait(self) -> None:
        state = self.state
        delay: float
        if self.jsonata:
            if "Seconds" in state:
                seconds = self.query(state["Seconds"], "Seconds")
                if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                    raise QueryEvaluationError(f"{self.prefix()} The Seconds field must be a non-negative integer, "
                                               f"but was: {_compact(seconds)}")
                delay = float(seconds)
            else:
                stamp = self.query(state["Timestamp"], "Timestamp")
                moment = choice.parse_timestamp(stamp)
                if moment is None:
                    raise QueryEvaluationError(f"{self.prefix()} The Timestamp field cannot be parsed as an ISO-8601 "
                                               f"extended offset date-time format string: {stamp}")
                delay = (moment - self.execution.now_datetime()).total_seconds()
        else:
            document = self.apply_path("InputPath", self.raw_input)
            if "Seconds" in state:
                delay = float(state["Seconds"])
            elif "SecondsPath" in state:
                path = state["SecondsPath"]
                seconds = self.read_path(path, document, "SecondsPath")
                if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or (
                    isinstance(seconds, float) and not seconds.is_integer()
                ):
                    raise self.runtime(f"The SecondsPath parameter cannot be parsed as a long value: {path} == "
                                       f"{_compact(seconds)}")
                if seconds < 0:
                    raise self.runtime(f"The SecondsPath parameter references a negative value: {path} == "
                                       f"{_compact(seconds)}")
                delay = float(seconds)
            else:
                if "Timestamp" in state:
                    stamp = state["Timestamp"]
                    moment = choice.parse_timestamp(stamp)
                    if moment is None:
                        raise self.runtime(f"The Timestamp field cannot be parsed: {stamp}")
                else:
                    path = state["TimestampPath"]
                    stamp = self.read_path(path, document, "TimestampPath")
                    moment = choice.parse_timestamp(stamp)
                    if moment is None:
                        raise self.runtime(f"The TimestampPath parameter does not reference a valid ISO-8601 extended "
                                           f"offset date-time format string: {path} == {_java(stamp)}")
                delay = (moment - self.execution.now_datetime()).total_seconds()
        self.branch.schedule(max(0.0, delay), self._waited)

    def _waited(self) -> None:
        try:
            if self.jsonata:
                self.complete(self.raw_input)
            else:
                output = self.apply_path("OutputPath", self.apply_path("InputPath", self.raw_input))
                if "Assign" in self.state:
                    assigned = self.template(self.state["Assign"], self.raw_input, "Assign")
                    self.branch.variables = {**self.branch.variables, **assigned}
                self.exit(output)
        except FailureError as failure:
            self.failed(failure.error, failure.cause)

    # -- Task ---------------------------------------------------------------------------
    def _task(self) -> None:
        state = self.state
        resource = state["Resource"]
        if self.jsonata and is_expression(resource):
            resource = self.query(resource, "Resource")
        token = None
        if resource.endswith(".waitForTaskToken"):
            # Unique per attempt; Parameters reach it as $$.Task.Token.
            execution_name = self.execution.context_execution["Name"]
            token = f"{execution_name}:{self.entered_id}:{self.attempt}:{self.execution.rng.getrandbits(64):016x}"
        self.task_token = token
        payload = self.effective()
        timeout = self._seconds("TimeoutSeconds")
        heartbeat = self._seconds("HeartbeatSeconds")
        lambda_arn = resource.startswith("arn:aws:lambda:")
        prefix = "LambdaFunction" if lambda_arn else "Task"
        self.record(f"{prefix}Scheduled", resource=resource, parameters=payload)
        execution = self.execution
        kernel = execution.kernel
        timers: list[Event] = []

        def answer(ok: bool, result: Any, error: str | None, cause: str | None) -> None:
            for timer in timers:
                kernel.cancel(timer)
            timers.clear()  # a timer holds the request, which holds this closure: let the cycle go
            self.branch.request = None
            if not self.branch.active:
                return
            # The answer may arrive inside the runner's own call: handle it as its own event.
            self.branch.schedule(0, self._task_answered, ok, result, error, cause, prefix)

        request = TaskRequest(execution, resource, payload, self.name, token, answer, timeout, heartbeat)
        self.branch.request = request
        if timeout is not None:
            timers.append(kernel.schedule(timeout, self._task_timeout, request, TIMEOUT,
                                          "The task timed out."))
        if heartbeat is not None and (timeout is None or heartbeat < timeout):
            timers.append(kernel.schedule(heartbeat, self._task_timeout, request, HEARTBEAT_TIMEOUT,
                                          "The task did not send a heartbeat in time."))
        self.record(f"{prefix}Started", resource=resource)
        execution.run_task(request)

    def _task_timeout(self, request: TaskRequest, error: str, cause: str) -> None:
        request.fail(error, cause)

    def _seconds(self, field: str) -> float | None:
        state = self.state
        if field in state:
            value = state[field]
            if self.jsonata and is_expression(value):
                value = self.query(value, field)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise self.runtime(f"The {field} field must be a positive integer, but was: {_compact(value)}")
            return float(value)
        if field + "Path" in state:
            path = state[field + "Path"]
            value = self.read_path(path, self.raw_input, field + "Path")
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise self.runtime(f"The {field}Path field refers to value \"{_java(value)}\" which is not a valid "
                                   f"positive integer: {path}")
            return float(value)
        return None

    def _task_answered(self, ok: bool, result: Any, error: str | None, cause: str | None, prefix: str) -> None:
        if ok:
            self.record(f"{prefix}Succeeded", output=result)
            try:
                self.complete(result)
            except FailureError as failure:
                self.failed(failure.error, failure.cause)
        else:
            kind = "TimedOut" if error in (TIMEOUT, HEARTBEAT_TIMEOUT) else "Failed"
            self.record(f"{prefix}{kind}", error=error, cause=cause)
            self.failed(error, cause)

    # -- Parallel -----------------------------------------------------------------------
    def _parallel(self) -> None:
        payload = self.effective()
        self.record("ParallelStateStarted")
        branches = self.state["Branches"]
        results: list[Any] = [None] * len(branches)
        remaining = [len(branches)]
        if not branches:
            self._fan_in_succeeded(results, "Parallel")
            return

        def done_for(position: int) -> BranchDone:
            def done(ok: bool, value: Any, error: str | None, cause: str | None) -> None:
                if not self.branch.active:
                    return
                if not ok:
                    for child in self.branch.children:
                        child.abort()
                    self.branch.children = []
                    self.failed(error, cause)
                    return
                results[position] = value
                remaining[0] -= 1
                if remaining[0] == 0:
                    self.branch.children = []
                    self._fan_in_succeeded(results, "Parallel")
            return done

        children = []
        for position, machine in enumerate(branches):
            child = Branch(self.execution, machine, payload, dict(self.branch.variables), None, done_for(position),
                           "JSONata" if self.jsonata else self.branch.query_language)
            children.append(child)
        self.branch.children = children
        for child in children:
            child.start()

    def _fan_in_succeeded(self, results: list[Any], kind: str) -> None:
        self.record(f"{kind}StateSucceeded")
        try:
            self.complete(results)
        except FailureError as failure:
            self.failed(failure.error, failure.cause)

    # -- Map ----------------------------------------------------------------------------
    def _map(self) -> None:
        state = self.state
        if self.jsonata:
            if "Items" in state:
                items = self.query(state["Items"], "Items")
                if not isinstance(items, list):
                    source = state["Items"][2:-2].strip() if is_expression(state["Items"]) else _compact(state["Items"])
                    raise QueryEvaluationError(
                        f"{self.prefix()} The JSONata expression '{source}' specified for the field 'Items' returned "
                        f"an unexpected result type. Expected 'array', but was '{_type_name(items)}' for value: "
                        f"{_compact(items)}")
            else:
                items = self.raw_input
                if not isinstance(items, list):
                    raise QueryEvaluationError(f"{self.prefix()} Map state input must be an array but was: "
                                               f"{_compact(items)}")
            selected = self.raw_input
        else:
            selected = self.apply_path("InputPath", self.raw_input)
            items_path = state.get("ItemsPath", "$")
            items = self.read_path(items_path, selected, "ItemsPath") if items_path != "$" else selected
            if not isinstance(items, list):
                raise self.runtime(f"Invalid input '{_compact(items)}' for the Map state: ItemsPath "
                                   f"'{items_path}' must select an array")
        max_concurrency = self._map_number("MaxConcurrency", 0)
        tolerated_count = self._map_number("ToleratedFailureCount", 0)
        tolerated_percentage = self._map_number("ToleratedFailurePercentage", 0, percentage=True)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if not isinstance(processor, dict):
            raise self.runtime("The Map state has no ItemProcessor")
        selector_field = "ItemSelector" if "ItemSelector" in state else "Parameters"
        inputs: list[Any] = []
        for index, item in enumerate(items):
            if selector_field in state:
                if self.jsonata:
                    extra_ctx = self.context()
                    extra_ctx["Map"] = {"Item": {"Index": index, "Value": item}}
                    assert self.evaluator is not None
                    value = self.evaluator.template(state[selector_field],
                                                    {"input": self.raw_input, "context": extra_ctx},
                                                    self.branch.variables, selector_field)
                else:
                    value = self._select_item(state[selector_field], selected, index, item, selector_field)
            else:
                value = item
            inputs.append(value)
        self.record("MapStateStarted", length=len(items))
        if not inputs:
            self._fan_in_succeeded([], "Map")
            return
        self.branch.children = []
        MapRun(self, processor, items, inputs, max_concurrency, tolerated_count, tolerated_percentage).launch()

    def _select_item(self, selector: Any, document: Any, index: int, item: Any, field: str) -> Any:
        saved = self.branch.map_item
        self.branch.map_item = {"Index": index, "Value": item}
        try:
            return self.template(selector, document, field)
        finally:
            self.branch.map_item = saved

    def _map_number(self, field: str, default: int, percentage: bool = False) -> float:
        """MaxConcurrency or a tolerated failure threshold, from the field or its Path form."""
        state = self.state
        if field in state:
            value = state[field]
            if self.jsonata and is_expression(value):
                value = self.query(value, field)
        elif field + "Path" in state:
            path = state[field + "Path"]
            value = self.read_path(path, self.raw_input, field + "Path")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                isinstance(value, float) and not value.is_integer() and not percentage
            ):
                raise self.runtime(f"The {field}Path field refers to value \"{_java(value)}\" which is not a valid "
                                   f"integer: {path}")
        else:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.runtime(f"The {field} field must be a number, but was: {_compact(value)}")
        if value < 0:
            raise self.runtime(f"{field} cannot be negative.")
        # A percentage may be fractional (ToleratedFailurePercentage 2.5); the others are counts.
        return float(value) if percentage else int(value)


class MapRun:
    """A Map state's iterations: at most MaxConcurrency at once, results in item order.

    A class rather than closures over the Map's visit, because two closures that launch each
    other are a reference cycle; each child refers back to it only until it finishes.
    """

    def __init__(self, visit: StateRun, processor: dict[str, Any], items: list[Any], inputs: list[Any],
                 max_concurrency: float, tolerated_count: float, tolerated_percentage: float) -> None:
        self.visit = visit
        self.processor = processor
        self.items = items
        self.inputs = inputs
        self.total = len(inputs)
        # MaxConcurrency 0 (the default) means as many as Inline mode allows, 40.
        self.limit = min(max_concurrency, INLINE_MAP_CONCURRENCY) if max_concurrency > 0 else INLINE_MAP_CONCURRENCY
        self.results: list[Any] = [None] * self.total
        self.next = self.running = self.finished = self.failures = 0
        self.language = "JSONata" if visit.jsonata else visit.branch.query_language
        state = visit.state
        self.count_set = "ToleratedFailureCount" in state or "ToleratedFailureCountPath" in state
        self.percentage_set = "ToleratedFailurePercentage" in state or "ToleratedFailurePercentagePath" in state
        self.tolerated_count = tolerated_count
        self.tolerated_percentage = tolerated_percentage
        self.children: dict[int, Branch] = {}

    def too_many_failures(self) -> bool:
        # Without a tolerance one failed iteration fails the Map; with one, the Map fails once
        # either threshold it sets is exceeded ("Map state failure thresholds").
        if not (self.count_set or self.percentage_set):
            return self.failures > 0
        return (self.count_set and self.failures > self.tolerated_count) or (
            self.percentage_set and self.failures * 100 > self.tolerated_percentage * self.total)

    def launch(self) -> None:
        visit = self.visit
        branch = visit.branch
        while self.next < self.total and self.running < self.limit:
            index = self.next
            self.next += 1
            self.running += 1
            child = Branch(visit.execution, self.processor, self.inputs[index], dict(branch.variables),
                           {"Index": index, "Value": self.items[index]}, partial(self.done, index), self.language)
            self.children[index] = child
            branch.children.append(child)
            visit.record("MapIterationStarted", index=index)
            child.start()

    def done(self, index: int, ok: bool, value: Any, error: str | None, cause: str | None) -> None:
        visit = self.visit
        branch = visit.branch
        if not branch.active:
            return
        self.running -= 1
        self.finished += 1
        branch.children.remove(self.children.pop(index))
        if ok:
            self.results[index] = value
            visit.record("MapIterationSucceeded", index=index)
        else:
            self.failures += 1
            visit.record("MapIterationFailed", index=index)
            if self.too_many_failures():
                for other in branch.children:
                    other.abort()
                branch.children = []
                self.children.clear()
                if self.count_set or self.percentage_set:
                    visit.failed(EXCEEDED_TOLERATED, "The specified tolerated failure threshold was exceeded")
                else:
                    visit.failed(error, cause)
                return
        if self.finished == self.total:
            visit._fan_in_succeeded(self.results, "Map")
        else:
            self.launch()


def _split_variable(path: str) -> tuple[str, str]:
    end = 1
    while end < len(path) and (path[end].isalnum() or path[end] == "_"):
        end += 1
    return path[1:end], path[end:]


def _matches(names: Any, error: str) -> bool:
    for name in names:
        if name == error:
            return True
        if name == ALL and error not in UNCATCHABLE:
            return True
        # States.TaskFailed is a wildcard for every error except States.Timeout ("Error names").
        if name == TASK_FAILED and error != TIMEOUT and error not in UNCATCHABLE:
            return True
    return False


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _java(value: Any) -> str:
    """A value as AWS's Java runtime prints it in a cause (strings bare, objects as JSON)."""
    if isinstance(value, str):
        return value
    return _compact(value)


__all__ = ["Branch", "Execution", "TaskRequest"]
