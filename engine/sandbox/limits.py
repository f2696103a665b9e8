"""The limits diagrams' scripts and expressions run under, and the errors that say one broke.

Where each limit holds (see also docs/architecture.md, "The sandbox"):

  time     TIME_BUDGET_SECONDS of CPU for one script or expression in the sandbox worker process
           (an interval timer stops Python code; RLIMIT_CPU kills code stuck in C), and
           WALL_TIMEOUT_SECONDS of wall clock enforced by the parent, which kills the worker and
           starts another on breach
  memory   MEMORY_LIMIT_MB of address space (RLIMIT_AS) over what the worker holds when it starts
  data     MAX_TASK_DATA_BYTES of JSON for the task data a script leaves and for any value the worker
           returns, estimated while it is converted (a huge structure is refused before it is
           serialised); MAX_STEP_DATA_BYTES of script results in one run of the engine; MAX_STATE_CHARS
           of JSON for a stored workflow state
  engine   MAX_ENGINE_TASKS automatic tasks and STEP_BUDGET_SECONDS of wall clock in one
           `do_engine_steps()` (a diagram loop of gateways and scripts ends)
  calendar MAX_WORKING_DAYS working days for the calendar functions diagrams call
  text     MAX_EXPRESSION_CHARS / MAX_SCRIPT_CHARS for the source compiled at all
"""

from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.core.errors import StepFailed

TIME_BUDGET_SECONDS = 1.0
WALL_TIMEOUT_SECONDS = TIME_BUDGET_SECONDS + 1.0
MEMORY_LIMIT_MB = 256
MAX_TASK_DATA_BYTES = 1024 * 1024
MAX_STEP_DATA_BYTES = 4 * 1024 * 1024
MAX_STATE_CHARS = 8 * 1024 * 1024
MAX_ENGINE_TASKS = 500
STEP_BUDGET_SECONDS = 10.0
MAX_WORKING_DAYS = 366
MAX_EXPRESSION_CHARS = 10_000
MAX_SCRIPT_CHARS = 100_000

# SpiffWorkflow looks for frames named '<string>' to report the failing script line.
SOURCE_NAME = '<string>'

MAX_RANGE_LENGTH = 100_000
MAX_SEQUENCE_LENGTH = 1_000_000
MAX_INTEGER_BITS = 100_000
MAX_FORMAT_WIDTH = 1_000


class ScriptNotAllowed(Exception):
    """A script or expression that the sandbox refuses to compile or to finish."""

    def __init__(self, chinese: str, english: str) -> None:
        super().__init__(f'{chinese}（{english}）')
        self.chinese = chinese
        self.english = english


# SpiffWorkflow ships no types, so its exception base is Any to mypy.
class ScriptTooExpensive(ScriptNotAllowed, StepFailed, SpiffWorkflowException):  # type: ignore[misc]
    """A script or expression broke a limit: time, memory, data size, a value too large, a calendar argument.

    It is a `StepFailed` (422) whose message, for the clerk, names the limit; being a
    SpiffWorkflow exception too, SpiffWorkflow's script engine passes it on unwrapped, so the
    step's caller sees it as it was raised.
    """

    def __init__(self, chinese: str, english: str) -> None:
        super().__init__(chinese, english)
        self.message = chinese

    def __str__(self) -> str:
        notes = getattr(self, 'notes', [])
        return '. '.join([Exception.__str__(self), *notes])


def timed_out() -> ScriptTooExpensive:
    return ScriptTooExpensive(
        f'脚本运行超时（超过 {TIME_BUDGET_SECONDS:g} 秒）', f'script exceeded its {TIME_BUDGET_SECONDS:g}s budget'
    )


def out_of_memory() -> ScriptTooExpensive:
    return ScriptTooExpensive(
        f'脚本占用内存超过 {MEMORY_LIMIT_MB} MB', f'script exceeded its {MEMORY_LIMIT_MB} MB memory limit'
    )


def data_too_large(what: str = '环节数据', limit: int = MAX_TASK_DATA_BYTES) -> ScriptTooExpensive:
    return ScriptTooExpensive(f'{what}超过 {limit // 1024} KB', f'data exceeds {limit // 1024} KB')
