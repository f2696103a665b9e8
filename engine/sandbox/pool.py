"""The server's side of the sandbox worker: start, ask, time, kill and replace.

Each server process (each gunicorn worker) keeps its own few worker processes
(`engine.sandbox.worker`), started on first need with `python -I` and fresh pipes, never forked
from the server, so they hold none of its connections, files or environment. A request sends a
script or expression with its task data; the answer comes back as JSON. While the worker runs,
the functions the diagram calls (the calendar, the clock) run here, at the worker's request, with
this process's clock and calendar; each bounds its own arguments.

On breach of the wall-clock limit the worker is killed (SIGKILL) and a replacement starts at
once; a worker that died (RLIMIT_CPU's SIGXCPU, or a crash out of memory) is replaced the same way.
A worker that merely reported an error (the script raised, a limit held inside it) is kept.

A fork of this process (a server forking its workers after the pool was used) starts a pool of
its own: the inherited pipes belong to the parent's workers and are only closed here.
"""

import atexit
import builtins
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import DivisionByZero, InvalidOperation, Overflow
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NoReturn

from engine.sandbox import wire
from engine.sandbox.limits import (
    MAX_STEP_DATA_BYTES,
    MAX_TASK_DATA_BYTES,
    MEMORY_LIMIT_MB,
    SOURCE_NAME,
    WALL_TIMEOUT_SECONDS,
    ScriptNotAllowed,
    ScriptTooExpensive,
    data_too_large,
    out_of_memory,
    timed_out,
)

POOL_SIZE = 4
STARTUP_SECONDS = 20.0
_MAX_REPLY = MAX_TASK_DATA_BYTES + 64 * 1024
_ROOT = str(Path(__file__).resolve().parents[2])
_BOOT = f'import sys; sys.path.insert(0, {_ROOT!r}); from engine.sandbox.worker import main; main()'
_EXCEPTIONS: dict[str, type[Exception]] = {
    name: value for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, Exception)
} | {'InvalidOperation': InvalidOperation, 'DivisionByZero': DivisionByZero, 'Overflow': Overflow}


class SandboxUnavailable(RuntimeError):
    """No sandbox worker could be started: scripts cannot run until it can."""


class ScriptRaised(Exception):
    """A script raised an exception of a type that has no counterpart here."""


class _Broken(Exception):
    """The worker is gone or cannot be trusted to continue: kill it, replace it, raise `error`."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _crashed() -> ScriptTooExpensive:
    return ScriptTooExpensive(
        f'脚本占用内存超过 {MEMORY_LIMIT_MB} MB 或异常终止', f'script worker died (memory limit {MEMORY_LIMIT_MB} MB)'
    )


def _child_environment() -> dict[str, str]:
    """What the worker inherits of the environment: no database address, key or token of the server's."""
    environment = {'PATH': os.environ.get('PATH', os.defpath), 'LANG': 'C.UTF-8'}
    if 'TZ' in os.environ:
        environment['TZ'] = os.environ['TZ']
    return environment


class _Child:
    """One worker process and the two pipes to it."""

    def __init__(self) -> None:
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, '-I', '-c', _BOOT],
                stdin=request_read,
                stdout=reply_write,
                env=_child_environment(),
                cwd='/',
                close_fds=True,
            )
        except OSError as failed:
            os.close(request_write)
            os.close(reply_read)
            raise SandboxUnavailable(f'脚本沙箱进程无法启动：{failed}') from failed
        finally:
            os.close(request_read)
            os.close(reply_write)
        self.requests = Connection(request_write, readable=False)
        self.replies = Connection(reply_read, writable=False)
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        try:
            if not self.replies.poll(STARTUP_SECONDS):
                raise SandboxUnavailable('脚本沙箱进程启动超时')
            message = json.loads(self.replies.recv_bytes(1024))
        except (EOFError, OSError, ValueError) as failed:
            raise SandboxUnavailable('脚本沙箱进程无法启动') from failed
        if not (isinstance(message, list) and message[:1] == ['ready']):
            raise SandboxUnavailable('脚本沙箱进程无法启动')
        self.ready = True

    def end(self, reason: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            try:
                self.process.send_signal(reason)
            except ProcessLookupError:
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.forget()

    def forget(self) -> None:
        """Close this process's ends of the pipes (the worker reads EOF and leaves)."""
        for connection in (self.requests, self.replies):
            try:
                connection.close()
            except OSError:
                pass

    def died_of(self) -> ScriptTooExpensive:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return _crashed()
        return timed_out() if code == -signal.SIGXCPU else _crashed()


class _Pool:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.idle: list[_Child] = []
        self.count = 0
        self.changed = threading.Condition()

    def checkout(self) -> _Child:
        with self.changed:
            while not self.idle and self.count >= POOL_SIZE:
                self.changed.wait()
            if self.idle:
                return self.idle.pop()
            self.count += 1
        try:
            return _Child()
        except BaseException:
            self._gone()
            raise

    def checkin(self, child: _Child) -> None:
        with self.changed:
            self.idle.append(child)
            self.changed.notify()

    def replace(self, child: _Child) -> None:
        """Kill `child` and start its successor now, so that it is ready by the next request."""
        child.end()
        try:
            successor = _Child()
        except SandboxUnavailable:
            self._gone()
            return
        self.checkin(successor)

    def _gone(self) -> None:
        with self.changed:
            self.count -= 1
            self.changed.notify()

    def shutdown(self) -> None:
        with self.changed:
            idle, self.idle = self.idle, []
        for child in idle:
            child.end(signal.SIGTERM)

    def forget(self) -> None:
        for child in self.idle:
            child.forget()
        self.idle = []


_pool_state: _Pool | None = None
_pool_lock = threading.Lock()


def _pool() -> _Pool:
    global _pool_state
    current = _pool_state
    if current is not None and current.pid == os.getpid():
        return current
    with _pool_lock:
        if _pool_state is None or _pool_state.pid != os.getpid():
            if _pool_state is not None:
                _pool_state.forget()
            _pool_state = _Pool()
        return _pool_state


@atexit.register
def _shutdown() -> None:
    if _pool_state is not None and _pool_state.pid == os.getpid():
        _pool_state.shutdown()


_tally = threading.local()


@contextmanager
def step_budget(limit: int = MAX_STEP_DATA_BYTES) -> Iterator[None]:
    """Within the block, what the worker returns in this thread counts against `limit` bytes of JSON."""
    previous = getattr(_tally, 'left', None)
    _tally.left = limit
    try:
        yield
    finally:
        _tally.left = previous


def _charge(size: int) -> None:
    left = getattr(_tally, 'left', None)
    if left is None:
        return
    _tally.left = left - size
    if _tally.left < 0:
        raise data_too_large('本次办理中脚本产生的环节数据', MAX_STEP_DATA_BYTES)


def run(
    kind: str,
    source: str,
    context: Mapping[str, Any],
    external: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]],
) -> Any:
    """Evaluate (`kind` 'eval') or execute ('exec') `source` in a worker; an expression's value, or
    the task data a script leaves. The script's own error is raised as at its line in the script."""
    request = pickle.dumps((kind, source, dict(context), sorted(functions), dict(external)), pickle.HIGHEST_PROTOCOL)
    pool = _pool()
    child = pool.checkout()
    try:
        child.wait_ready()
        value, error, line = _exchange(child, request, functions)
    except _Broken as broken:
        pool.replace(child)
        raise broken.error from None
    except BaseException:
        pool.replace(child)
        raise
    pool.checkin(child)
    if error is not None:
        _raise_at(error, line)
    return value


def _exchange(
    child: _Child, request: bytes, functions: Mapping[str, Callable[..., Any]]
) -> tuple[Any, Exception | None, int]:
    """(value, None, 0) or (None, the script's error, its line); `_Broken` when the worker must go."""
    child.requests.send_bytes(request)
    deadline = time.monotonic() + WALL_TIMEOUT_SECONDS
    failed_call: Exception | None = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not child.replies.poll(remaining):
            raise _Broken(timed_out())
        try:
            frame = child.replies.recv_bytes(_MAX_REPLY)
        except EOFError:
            raise _Broken(child.died_of()) from None
        except OSError:  # a frame longer than any answer may be
            raise _Broken(data_too_large('脚本结果')) from None
        try:
            message = json.loads(frame)
            verb = message[0]
            if verb == 'ok':
                _charge(len(frame))
                return wire.restore(message[1]), None, 0
            if verb == 'call':
                started = time.monotonic()
                answer, failed_call = _call(functions, message[1], *message[2])
                child.requests.send_bytes(answer)
                deadline += time.monotonic() - started
                continue
            if verb == 'error':
                _, kind, type_name, text, line, detail = message
                line = line if isinstance(line, int) and 0 < line <= 1_000_000 else 0
                if kind == 'memory':
                    raise _Broken(out_of_memory())
                if kind == 'call' and failed_call is not None:
                    return None, failed_call, line
                return None, _rebuilt(kind, str(type_name), str(text), detail), line
        except _Broken:
            raise
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            pass
        raise _Broken(ScriptNotAllowed('脚本沙箱进程的应答无效', 'malformed answer from the sandbox worker'))


def _call(
    functions: Mapping[str, Callable[..., Any]], name: str, args: Any, kwargs: Any
) -> tuple[bytes, Exception | None]:
    """Run a function the diagram called in the worker; (the answer to send, the error it raised)."""
    try:
        function = functions[name]
        value = function(*wire.restore(args), **wire.restore(kwargs))
        return pickle.dumps(('ok', value), pickle.HIGHEST_PROTOCOL), None
    except Exception as error:
        return pickle.dumps(('error', None)), error


def _rebuilt(kind: str, type_name: str, text: str, detail: Any) -> Exception:
    """The worker's report of an error as an exception of the same kind here."""
    if kind in ('limit', 'refused'):
        english = str(detail)
        return ScriptTooExpensive(text, english) if kind == 'limit' else ScriptNotAllowed(text, english)
    cls = _EXCEPTIONS.get(type_name)
    if cls is not None:
        try:
            return cls(*detail) if isinstance(detail, list) else cls(text)
        except Exception:
            pass
    return ScriptRaised(f'{type_name}: {text}')


def _raise_at(error: Exception, line: int) -> NoReturn:
    """Raise `error` from a frame named like the script's at `line`, where SpiffWorkflow looks for the
    line that failed (the script ran in another process, so this traceback has no frame of its own)."""
    if line:
        exec(compile('\n' * (line - 1) + 'raise error', SOURCE_NAME, 'exec'), {'error': error})
    raise error
