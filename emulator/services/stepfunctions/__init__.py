"""AWS Step Functions state machines: the States Language interpreter as a component.

Rules (Step Functions developer guide): "Choosing workflow type in Step Functions":
Standard executions run for up to a year and support .waitForTaskToken; Express ones
for at most 5 minutes (then States.Timeout) and not the callback pattern; a caller that
waits (API Gateway, a Lambda function) starts an Express workflow with StartSyncExecution
and gets its output, any other start is StartExecution, answered at once with the
execution ARN while the execution runs on. Standard runs an execution exactly once;
Express runs an asynchronous start at least once (now and then twice, the second run
annotated duplicate) and a synchronous one at most once. "Integrating services with Step Functions":
a Task calls Lambda (Invoke), SQS (SendMessage), SNS (Publish), DynamoDB (PutItem,
GetItem...) or another state machine; Step Functions itself does not retry a failed
call: the state's Retry does. "Handling errors in Step Functions workflows": a Lambda
function error arrives as the function's error name, a throttle as
Lambda.TooManyRequestsException, another service's error as <Service>.<error>.
"Wait for a Callback with Task Token": the Task waits until SendTaskSuccess or
SendTaskFailure names its token; here a component's request to the state machine with
a payload holding "TaskToken" is that call. "AWS Step Functions Pricing": Standard
$0.025 per 1,000 state transitions, retries included; Express $1.00 per million
requests plus duration (100 ms steps) x memory (64 MB chunks, 50 MB base).

The execution's history events (TaskStateEntered, TaskScheduled, TaskFailed...) become
one subsegment per state visit of the execution's segment, listing its events; Task
calls are the usual call subsegments, so the callee's segments join the one trace.
"""

from emulator.services.stepfunctions.definition import KIND, check
from emulator.services.stepfunctions.state_machine import StateMachine

__all__ = ["KIND", "StateMachine", "check"]
