"""A Step Functions state machine at run time (its rules, and their sources, are in the package docstring)."""

from __future__ import annotations

import json
import math
from typing import Any

from emulator.distributions import Duration
from emulator.histogram import Latencies
from emulator.messages import COMPLETED, Message
from emulator.pricing import (
    STEPFUNCTIONS_EXPRESS_MEMORY_CHUNK_MB,
    STEPFUNCTIONS_EXPRESS_PER_GB_SECOND,
    STEPFUNCTIONS_EXPRESS_PER_REQUEST,
    STEPFUNCTIONS_PER_TRANSITION,
)
from emulator.services.base import Call, Component, Link, Reply, call, mark, service_unavailable, throttled
from emulator.stepfunctions import Execution, TaskRequest
from emulator.tracing import EPOCH, Segment, Subsegment, cause

STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:{}"
# Express workflows run for at most five minutes, Standard ones for a year ("Choosing workflow type").
EXPRESS_MAX_SECONDS = 300.0
# When the second run of an at-least-once Express start begins, after the first: AWS gives no
# figure; a retried internal delivery a second later shows it apart on the timeline.
DUPLICATE_AFTER_S = 1.0
STANDARD_MAX_SECONDS = 365 * 24 * 3600.0
# Express memory: 50 MB plus the definition and the execution data, billed in 64 MB chunks
# ("AWS Step Functions Pricing", Express Workflows example 3); duration rounded up to 100 ms.
EXPRESS_BASE_MEMORY_MB = 50.0
EXPRESS_DURATION_STEP_S = 0.1
# The optimized integrations: Resource ARN prefix -> the Parameters field naming the target
# and the field that holds what is sent ("Integrating services with Step Functions").
INTEGRATIONS = {
    "arn:aws:states:::lambda:invoke": ("FunctionName", "Payload"),
    "arn:aws:states:::sqs:sendMessage": ("QueueUrl", "MessageBody"),
    "arn:aws:states:::sns:publish": ("TopicArn", "Message"),
    "arn:aws:states:::dynamodb:putItem": ("TableName", "Item"),
    "arn:aws:states:::dynamodb:getItem": ("TableName", "Key"),
    "arn:aws:states:::dynamodb:updateItem": ("TableName", "Key"),
    "arn:aws:states:::dynamodb:deleteItem": ("TableName", "Key"),
    "arn:aws:states:::states:startExecution": ("StateMachineArn", "Input"),
}
_SUFFIXES = (".waitForTaskToken", ".sync:2", ".sync")
# History events that mark a state visit as failed (a tolerated Map iteration failure does not).
_FAILURE_EVENTS = frozenset({"TaskFailed", "TaskTimedOut", "LambdaFunctionFailed", "LambdaFunctionTimedOut"})
# The prefix AWS puts before a service's own error name when a task fails ("Handling errors").
_ERROR_PREFIX = {"lambda": "Lambda", "sqs": "SQS", "sns": "SNS", "dynamodb": "DynamoDB"}


def base_resource(resource: str) -> str:
    """The Resource without its integration pattern suffix (.waitForTaskToken, .sync)."""
    for suffix in _SUFFIXES:
        if resource.endswith(suffix):
            return resource[: -len(suffix)]
    return resource


def target_name(resource: str, parameters: Any) -> str | None:
    """The component a Task calls: its Resource, a Lambda ARN's function name, or the optimized
    integration's target field in Parameters (FunctionName, QueueUrl, TopicArn, TableName...)."""
    base = base_resource(resource)
    if base in INTEGRATIONS:
        field = INTEGRATIONS[base][0]
        value = parameters.get(field) if isinstance(parameters, dict) else None
        return _last_name(value) if isinstance(value, str) else None
    if base.startswith("arn:aws:lambda:"):
        return _last_name(base.split(":function:", 1)[-1].split(":", 1)[0])
    if base.startswith("arn:"):
        return None
    return base


def _last_name(value: str) -> str:
    # An ARN or a queue URL ends with the resource's name; a bare id is its own name.
    return value.rstrip("/").replace(":", "/").rsplit("/", 1)[-1]


class Run:
    """One execution as the service sees it: its message, segment and open state subsegments."""

    __slots__ = ("machine", "message", "segment", "execution", "call_", "states", "tokens", "started_at",
                 "delivery")

    def __init__(self, machine: StateMachine, message: Message, segment: Segment, call_: Call | None,
                 delivery: str | None) -> None:
        self.machine = machine
        self.message = message
        # The start it runs for (an Express start's second run shares it: the ledger's duplicates).
        self.delivery = delivery
        self.segment = segment
        self.call_ = call_
        self.execution: Execution | None = None
        self.states: dict[int, Subsegment] = {}
        self.tokens: list[str] = []
        self.started_at = machine.kernel.now


class StateMachine(Component):
    def connect(self) -> None:
        properties = self.properties
        self.express = properties["StateMachineType"] == "EXPRESS"
        self.definition: dict[str, Any] = properties["Definition"]
        self.arn = STATE_MACHINE_ARN.format(self.id)
        self.targets: dict[str, Link] = {link.target.id: link for link in self.links("request")}
        self.api_latency = Duration.from_spec(self.behavior["api_ms"])
        self.transition_latency = Duration.from_spec(self.behavior["transition_ms"])
        self.duplicate_rate = float(self.behavior["duplicate_execution_rate"])
        self.duplicates = 0
        self.definition_mb = len(json.dumps(self.definition).encode()) / 1_048_576
        self.started = self.succeeded = self.failed = self.timed_out = self.aborted = self.throttled = 0
        self.transitions = 0
        self.billed_gb_seconds = 0.0
        self.running = 0
        self.execution_times = Latencies()
        # Task tokens waiting for SendTaskSuccess/SendTaskFailure -> the waiting request.
        self.waiting_tokens: dict[str, TaskRequest] = {}
        self.runs: dict[str, Run] = {}
        self._sequence = 0
        # Tracked messages held for a second, at-least-once run that has not begun yet.
        self.duplicates_pending = 0

    def operation(self, link: Link | None) -> str:
        if link is not None and link.source.kind.name != "stepfunctions" and self.express:
            return "StartSyncExecution"
        return "StartExecution"

    # Serving ---------------------------------------------------------------------------
    def request(self, call_: Call) -> None:
        now = self.kernel.now
        latency = self.api_latency.sample(self.rng) / 1000.0
        faults = self.faults
        if faults:
            latency += faults.extra_ms(now) / 1000.0
            if faults.unavailable(now):
                self.kernel.schedule(latency, call_.reply, service_unavailable(self.id))
                return
            if faults.throttled(now):
                self.throttled += 1
                self.kernel.schedule(latency, call_.reply, throttled(self.id, "ThrottlingException"))
                return
            if self.rng.random() < faults.error_rate(now, 0.0):
                self.kernel.schedule(latency, call_.reply, Reply(500, "InternalServerError",
                                                                  "Internal server error (injected fault)"))
                return
        payload = call_.message.payload
        if isinstance(payload, dict) and isinstance(payload.get("TaskToken"), str):
            self._task_answer(call_, payload, latency)
            return
        self._start(call_, latency)

    def _task_answer(self, call_: Call, payload: dict[str, Any], latency: float) -> None:
        """SendTaskSuccess, or SendTaskFailure when the payload has an Error: the waiting Task ends."""
        request = self.waiting_tokens.pop(payload["TaskToken"], None)
        if request is None:
            self.kernel.schedule(latency, call_.reply, Reply(400, "TaskDoesNotExist",
                                                              "Task does not exist anymore"))
            return
        if "Error" in payload:
            self.kernel.schedule(latency, request.fail, str(payload["Error"]), str(payload.get("Cause", "")))
        else:
            output = payload.get("Output", {key: value for key, value in payload.items() if key != "TaskToken"})
            self.kernel.schedule(latency, request.succeed, output)
        self.kernel.schedule(latency, call_.reply, Reply(200))

    def _start(self, call_: Call, latency: float) -> None:
        sync = call_.operation == "StartSyncExecution" or (
            call_.link is not None and call_.link.source.kind.name == "stepfunctions")
        execution_arn = self._launch(call_.message, call_.parent_id, call_.delivery, sync, call_ if sync else None,
                                     latency)
        if not sync:
            self.kernel.schedule(latency, call_.reply, Reply(200, payload={
                "executionArn": execution_arn,
                "startDate": EPOCH + self.kernel.now + latency}))
            # Express runs asynchronous executions at least once ("Choosing workflow type in Step
            # Functions"): now and then the same start runs a second execution of the same input.
            if self.express and self.duplicate_rate > 0.0 and self.rng.random() < self.duplicate_rate:
                self.duplicates += 1
                message = call_.message
                if message.tracked:
                    # Taken now, so the message stays open until the second run has ended too.
                    self.sim.ledger.hold(message.record)
                    self.duplicates_pending += 1
                self.kernel.schedule(DUPLICATE_AFTER_S, self._launch_duplicate, message, call_.parent_id,
                                     call_.delivery, latency)

    def _launch_duplicate(self, message: Message, parent_id: str | None, delivery: str | None,
                          latency: float) -> None:
        if message.tracked:
            self.duplicates_pending -= 1
        self._launch(message, parent_id, delivery, False, None, latency, duplicate=True)

    def _launch(self, message: Message, parent_id: str | None, delivery: str | None, sync: bool, call_: Call | None,
                latency: float, *, duplicate: bool = False) -> str:
        """An execution of ``message`` that begins ``latency`` from now; returns its ARN. A duplicate
        run's ledger token was taken when it was decided on."""
        now = self.kernel.now
        self._sequence += 1
        name = f"{message.message_id}-{self._sequence}"
        segment = self.new_segment(message, parent_id, now)
        execution_arn = f"arn:aws:states:us-east-1:123456789012:execution:{self.id}:{name}"
        segment.aws = {"operation": "StartSyncExecution" if sync else "StartExecution",
                       "state_machine_arn": self.arn, "execution_arn": execution_arn}
        segment.annotations["workflow_type"] = "EXPRESS" if self.express else "STANDARD"
        if duplicate:
            segment.annotations["duplicate"] = True
        self.open_segments[segment.id] = segment
        if message.tracked and not duplicate:
            self.sim.ledger.hold(message.record)
        run = Run(self, message, segment, call_, delivery)
        context = {"Execution": {"Name": name, "Id": execution_arn},
                   "StateMachine": {"Name": self.id, "Id": self.arn}}
        execution = Execution(
            self.definition, message.payload, kernel=self.kernel, run_task=lambda request: self._run_task(run, request),
            rng=self.rng, context=context, on_finish=lambda done: self._finished(run, done),
            on_event=lambda _execution, event: self._event(run, event),
            max_duration=EXPRESS_MAX_SECONDS if self.express else STANDARD_MAX_SECONDS,
            transition_delay=self._transition_delay)
        run.execution = execution
        self.runs[name] = run
        self.started += 1
        self.running += 1
        # The API answers first; the execution starts once StartExecution has returned.
        self.kernel.schedule(latency, self._begin, run)
        return execution_arn

    def _begin(self, run: Run) -> None:
        # ExecutionTime and Express billing count from here, not from the API call.
        run.started_at = self.kernel.now
        assert run.execution is not None
        run.execution.start()

    def _transition_delay(self) -> float:
        return self.transition_latency.sample(self.rng) / 1000.0

    # The execution's history as the trace's timeline -----------------------------------
    def _event(self, run: Run, event: dict[str, Any]) -> None:
        kind: str = event["type"]
        entered = event.get("entered")
        if entered is None:
            return
        now = EPOCH + self.kernel.now
        if kind.endswith("StateEntered"):
            subsegment = Subsegment(self.segment_id(), str(event["name"]), now,
                                    annotations={"state_type": kind[: -len("StateEntered")]},
                                    metadata={"events": [kind]})
            run.segment.add(subsegment)
            run.states[entered] = subsegment
            return
        subsegment_or_none = run.states.get(entered)
        if subsegment_or_none is None:
            return
        state = subsegment_or_none
        assert state.metadata is not None
        state.metadata["events"].append(kind)
        if kind in _FAILURE_EVENTS or kind.endswith("StateFailed"):
            error = str(event.get("error") or "States.TaskFailed")
            state.fault = True
            state.cause = cause(error, str(event.get("cause") or ""), self.segment_id())
        if kind.endswith("StateExited") or kind == "StateFailed" or kind.endswith("StateFailed"):
            state.end_time = now
            del run.states[entered]

    # Tasks -----------------------------------------------------------------------------
    def _run_task(self, run: Run, request: TaskRequest) -> None:
        base = base_resource(request.resource)
        target = target_name(request.resource, request.payload)
        link = self.targets.get(target) if target is not None else None
        if link is None:
            request.fail("States.Runtime", f"The resource '{request.resource}' names no component that "
                         f"{self.id} calls (a request connection from {self.id})")
            return
        payload: Any = request.payload
        if base in INTEGRATIONS and isinstance(payload, dict):
            payload = payload.get(INTEGRATIONS[base][1], {})
        if request.token is not None:
            self.waiting_tokens[request.token] = request
            run.tokens.append(request.token)
        copy = run.message.copy(payload=payload)
        kind = link.target.kind.name

        def answered(reply: Reply) -> None:
            if request.answered:
                return
            if not reply.ok:
                if request.token is not None:
                    self.waiting_tokens.pop(request.token, None)
                error, message = self._task_error(kind, reply)
                request.fail(error, message)
                return
            if request.token is not None:
                return  # the Task waits for SendTaskSuccess or SendTaskFailure with its token
            result = reply.payload
            if kind == "lambda" and result is None:
                result = payload  # a function that returns its event
            if result is None:
                result = {}
            if base == "arn:aws:states:::lambda:invoke":
                result = {"ExecutedVersion": "$LATEST", "Payload": result, "StatusCode": 200}
            request.succeed(result)

        # Step Functions does not retry on its own: the state's Retry does.
        call(self, run.segment, link, copy, answered, sdk_retries=False)

    @staticmethod
    def _task_error(kind: str, reply: Reply) -> tuple[str, str]:
        error = reply.error or "ServiceException"
        if kind == "lambda" and reply.function_error:
            # A function error arrives under the function's own error name.
            return error, json.dumps({"errorMessage": reply.message, "errorType": error})
        if kind == "stepfunctions":
            return "States.TaskFailed", reply.message
        prefix = _ERROR_PREFIX.get(kind)
        name = f"{prefix}.{error}" if prefix else error
        if kind == "lambda" and reply.throttled:
            name = "Lambda.TooManyRequestsException"
        return name, reply.message or f"{error} ({reply.status})"

    # The end ---------------------------------------------------------------------------
    def _finished(self, run: Run, execution: Execution) -> None:
        now = self.kernel.now
        self.running -= 1
        duration = now - run.started_at
        self.execution_times.add(duration * 1000.0)
        self.transitions += execution.transitions
        if self.express:
            memory_mb = EXPRESS_BASE_MEMORY_MB + self.definition_mb + run.message.size_bytes / 1_048_576
            chunk = STEPFUNCTIONS_EXPRESS_MEMORY_CHUNK_MB
            billed_mb = math.ceil(memory_mb / chunk) * chunk
            billed_s = math.ceil(round(duration / EXPRESS_DURATION_STEP_S, 6)) * EXPRESS_DURATION_STEP_S
            self.billed_gb_seconds += billed_s * billed_mb / 1024.0
        for token in run.tokens:
            self.waiting_tokens.pop(token, None)
        segment = run.segment
        for state in run.states.values():
            state.end_time = EPOCH + now
        run.states.clear()
        status = execution.status
        segment.annotations["execution_status"] = status
        segment.annotations["state_transitions"] = execution.transitions
        if status == "SUCCEEDED":
            self.succeeded += 1
            segment.annotations["outcome"] = "ok"
            self.sim.ledger.handled(run.message.record, self.id, run.delivery)
            reply = Reply(200, payload=execution.output)
        else:
            if status == "TIMED_OUT":
                self.timed_out += 1
                segment.annotations["outcome"] = "timeout"
            elif status == "ABORTED":
                self.aborted += 1
                segment.annotations["outcome"] = "aborted"
            else:
                self.failed += 1
                segment.annotations["outcome"] = "error"
            error = execution.error or "States.Failed"
            reply = Reply(200, error, execution.cause or "")
            mark(segment, reply, self.segment_id())
        # The execution that ends last (a parent after the children it waited for) says whether
        # the message's processing failed: a caught failure of a nested execution does not count.
        run.message.record.failed = status != "SUCCEEDED"
        segment.end_time = EPOCH + now
        del self.open_segments[segment.id]
        del self.runs[str(execution.context_execution["Name"])]
        self.emit(segment)
        # The execution's callbacks refer to the run: break the cycle now that both are done.
        run.execution = None
        if run.call_ is not None:
            run.call_.reply(reply)
        if run.message.tracked:
            # However it ended, the execution is the message's record of what happened to it
            # (ExecutionsFailed counts the failures): nothing was dropped on the way.
            self.sim.ledger.release(run.message.record, COMPLETED, now)

    def finish(self) -> None:
        for run in self.runs.values():
            for state in run.states.values():
                state.in_progress = True
        super().finish()

    # Reporting -------------------------------------------------------------------------
    def metrics(self) -> dict[str, Any]:
        return {
            "ExecutionsStarted": self.started,
            "ExecutionsSucceeded": self.succeeded,
            "ExecutionsFailed": self.failed,
            "ExecutionsTimedOut": self.timed_out,
            "ExecutionsAborted": self.aborted,
            "ExecutionThrottled": self.throttled,
            "ExecutionTime": self.execution_times.percentiles(),
            # The unit Standard workflows are billed by (retries included).
            "StateTransitions": self.state_transitions(),
            **({"DuplicateExecutions": self.duplicates} if self.express else {}),
        }

    def state_transitions(self) -> int:
        running = sum(run.execution.transitions for run in self.runs.values() if run.execution is not None)
        return self.transitions + running

    def in_flight(self) -> dict[str, int]:
        """Executions under way ("running": started, waiting for a task, a token or a Wait) and
        Express's second runs of a start, decided but not begun ("starting")."""
        running = sum(1 for run in self.runs.values() if run.message.tracked)
        states = {"running": running, "starting": self.duplicates_pending}
        return {state: count for state, count in states.items() if count}

    def gauges(self) -> dict[str, float]:
        return {"running": float(self.running), "waiting_for_task_token": float(len(self.waiting_tokens))}

    def activity(self) -> tuple[int, int, int]:
        return (self.started, self.failed + self.timed_out, self.throttled)

    def cost_usd(self) -> float:
        if self.express:
            return self.started * STEPFUNCTIONS_EXPRESS_PER_REQUEST + self.billed_gb_seconds * (
                STEPFUNCTIONS_EXPRESS_PER_GB_SECOND)
        return self.state_transitions() * STEPFUNCTIONS_PER_TRANSITION


__all__ = ["StateMachine", "base_resource", "target_name"]
