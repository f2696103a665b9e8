"""The sandbox worker: a child process that runs diagrams' scripts and expressions under hard limits.

Started by `engine.sandbox.pool` as `python -I -c ...` with its own pipes (never forked from a
server worker, so it holds no database connection, no open file and no secret of the parent's
environment). Before its first request it limits itself: address space (RLIMIT_AS) to what it
holds then plus MEMORY_LIMIT_MB, no core files. For each request it sets RLIMIT_CPU to the CPU time
used so far plus the budget and a second (the kernel ends the process with SIGXCPU if code stuck
in C outlives it) and arms an interval timer on CPU time whose handler stops Python code at the
budget with a clean error. The parent also enforces a wall-clock limit and kills the worker on
breach, so no request outlives WALL_TIMEOUT_SECONDS whatever the worker does.

Protocol, one message each way per frame (`multiprocessing.connection` framing):
  parent -> worker  pickle: ('eval' | 'exec', source, context, function names, external context)
                    or the answer to a call: ('ok', value) | ('error', None)
  worker -> parent  JSON:   ['ok', value] | ['error', kind, type, message, line, detail]
                    | ['call', name, args, kwargs]   (a function the diagram calls runs in the parent)
What the worker sends is JSON (`engine.sandbox.wire`), never pickle: the parent does not trust it.
"""

import json
import math
import os
import pickle
import resource
import signal
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any, NoReturn

from engine.sandbox import restricted, wire
from engine.sandbox.limits import (
    MAX_TASK_DATA_BYTES,
    MEMORY_LIMIT_MB,
    SOURCE_NAME,
    TIME_BUDGET_SECONDS,
    ScriptNotAllowed,
    ScriptTooExpensive,
    timed_out,
)

# Raised into sandboxed code by the CPU timer; it cannot catch it (`try` is refused at compile time).
_armed = False
_late = False


class _CallFailed(Exception):
    """A function the diagram called failed in the parent, which keeps the error to raise itself."""


def _on_cpu_timer(signum: int, frame: FrameType | None) -> None:
    global _late
    if _armed:
        raise timed_out()
    _late = True


def _arm() -> None:
    global _armed, _late
    used = _cpu_seconds()
    soft = math.ceil(used + TIME_BUDGET_SECONDS) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
    _late = False
    _armed = True
    signal.setitimer(signal.ITIMER_PROF, TIME_BUDGET_SECONDS)


def _disarm() -> None:
    global _armed
    _armed = False
    signal.setitimer(signal.ITIMER_PROF, 0)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Worker:
    def __init__(self, requests: Connection, replies: Connection) -> None:
        self.requests = requests
        self.replies = replies

    def send(self, message: list[Any]) -> None:
        self.replies.send_bytes(json.dumps(message, ensure_ascii=False).encode())

    def stub(self, name: str) -> Callable[..., Any]:
        """A diagram function: the call goes to the parent, where the function runs with its own limits."""

        def call(*args: Any, **kwargs: Any) -> Any:
            global _armed
            _armed = False  # no timer error between a call and its answer, or the frames would cross
            try:
                arguments = wire.to_json([list(args), kwargs], MAX_TASK_DATA_BYTES, '函数参数')
                self.replies.send_bytes(b'["call",' + json.dumps(name).encode() + b',' + arguments + b']')
                answer, value = pickle.loads(self.requests.recv_bytes())
            finally:
                _armed = True
            if _late:
                raise timed_out()
            if answer != 'ok':
                raise _CallFailed(name)
            return value

        call.__name__ = name
        return call

    def handle(self, request: tuple[Any, ...]) -> None:
        kind, source, context, names, external = request
        stubs = {name: self.stub(name) for name in names}
        environment = restricted.SandboxEnvironment(stubs)
        try:
            _arm()
            try:
                if kind == 'eval':
                    result: Any = environment.evaluate_here(source, context, external)
                else:
                    environment.execute_here(source, context, external)
                    result = None
            finally:
                _disarm()
            if kind == 'eval':
                payload = wire.to_json(result, MAX_TASK_DATA_BYTES, '表达式结果')
            else:
                payload = wire.to_json_names(context, MAX_TASK_DATA_BYTES)
        except MemoryError:
            _disarm()
            self.send(['error', 'memory', 'MemoryError', '', _script_line(), None])
            raise
        except _CallFailed:
            self.send(['error', 'call', '', '', _script_line(), None])
            return
        except ScriptTooExpensive as error:
            self.send(['error', 'limit', '', error.chinese, _script_line(), error.english])
            return
        except ScriptNotAllowed as error:
            self.send(['error', 'refused', '', error.chinese, _script_line(), error.english])
            return
        except Exception as error:
            self.send(['error', 'raised', type(error).__name__, _message(error), _script_line(), _args(error)])
            return
        self.replies.send_bytes(b'["ok",' + payload + b']')

    def serve(self) -> NoReturn:
        self.send(['ready', os.getpid()])
        while True:
            try:
                frame = self.requests.recv_bytes()
            except EOFError:
                os._exit(0)  # the parent is gone
            try:
                self.handle(pickle.loads(frame))
            except MemoryError:
                os._exit(3)  # reported; start afresh rather than run on a fragmented heap


def _script_line() -> int:
    """The line of the diagram's script the error came from, as SpiffWorkflow reports it (0: unknown)."""
    line = 0
    for summary in traceback.extract_tb(sys.exc_info()[2]):
        if summary.filename == SOURCE_NAME and summary.lineno:
            line = summary.lineno
    return line


def _message(error: BaseException) -> str:
    try:
        return str(error)[:2000]
    except Exception:
        return type(error).__name__


def _args(error: BaseException) -> list[Any] | None:
    """The exception's arguments when they are plain values, so the parent rebuilds the same exception."""
    if all(type(arg) in (str, int, float, bool) for arg in error.args) and sum(len(str(a)) for a in error.args) < 2000:
        return list(error.args)
    return None


def _limit_self() -> None:
    with open('/proc/self/statm') as statm:
        pages = int(statm.read().split()[0])
    baseline = pages * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (baseline + MEMORY_LIMIT_MB * 1024 * 1024, resource.RLIM_INFINITY))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main() -> NoReturn:
    # The protocol owns fds 0 and 1; anything printed goes to stderr, nothing is read from a terminal.
    requests = Connection(os.dup(0), writable=False)
    replies = Connection(os.dup(1), readable=False)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; the worker ends with its pipe
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    signal.signal(signal.SIGPROF, _on_cpu_timer)
    _limit_self()
    _Worker(requests, replies).serve()
