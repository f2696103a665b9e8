"""Sandbox for BPMN scripts and expressions.

Diagrams are uploaded by designers, so their Python must never reach the server: code is
compiled with RestrictedPython under a stricter policy (no imports, no `try`, no classes,
no names or attributes starting with `_`) and run against a short list of builtins, with
guards that refuse oversized values (`2 ** 10 ** 10`, `'a' * 10 ** 9`, `range(10 ** 12)`).

Where it runs (`SandboxEnvironment`): a script, and an expression that is not vetted
(`engine.sandbox.vetted`: bounded by its form), run in a worker process under hard limits of
time, memory and result size (`engine.sandbox.pool`, `engine.sandbox.worker`; the values in
`engine.sandbox.limits`); a vetted expression runs here, in the server's process, because its
cost is bounded by construction and a gateway evaluates one on every pass.

Builtins available to scripts and expressions (nothing else, plus the injected functions):
  constants  None True False
  numbers    abs bool int float complex divmod round pow (large results refused)
  text       str chr ord repr hex oct
  containers len list tuple dict set frozenset sorted reversed enumerate zip range
             (range is capped at MAX_RANGE_LENGTH items) min max sum any all map filter
             slice isinstance callable
  domain     Decimal date datetime timedelta
  errors     Exception ValueError TypeError KeyError ArithmeticError ZeroDivisionError
             (usable with `raise` to fail a task with a message)
"""

import ast
import builtins
import operator
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from types import CodeType
from typing import Any, SupportsIndex

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr_raise,
)
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.sandbox import pool
from engine.sandbox.limits import (
    MAX_EXPRESSION_CHARS,
    MAX_FORMAT_WIDTH,
    MAX_INTEGER_BITS,
    MAX_RANGE_LENGTH,
    MAX_SCRIPT_CHARS,
    MAX_SEQUENCE_LENGTH,
    SOURCE_NAME,
    TIME_BUDGET_SECONDS,
    ScriptNotAllowed,
    ScriptTooExpensive,
)
from engine.sandbox.vetted import is_vetted

__all__ = [
    'MAX_RANGE_LENGTH',
    'SOURCE_NAME',
    'TIME_BUDGET_SECONDS',
    'SandboxEnvironment',
    'ScriptNotAllowed',
    'ScriptTooExpensive',
    'check_expression',
    'check_script',
    'compiled_expression',
    'compiled_script',
    'make_script_engine',
]


_GUARDED_BINARY = {ast.Pow: '**', ast.Mult: '*', ast.LShift: '<<', ast.Mod: '%'}


class _SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, narrowed to what a BPMN script needs."""

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> ast.AST:
        self.error(node, '不允许 import（imports are not allowed）')
        return node

    visit_ImportFrom = visit_Import

    def visit_Try(self, node: ast.AST) -> ast.AST:
        self.error(node, '不允许 try 语句（try is not allowed: it would swallow the time limit）')
        return node

    visit_TryStar = visit_Try

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, '不允许定义类（class definitions are not allowed）')
        return node

    def visit_Global(self, node: ast.Global | ast.Nonlocal) -> ast.AST:
        self.error(node, '不允许 global/nonlocal（global and nonlocal are not allowed）')
        return node

    visit_Nonlocal = visit_Global

    def visit_Name(self, node: ast.Name) -> ast.AST | Iterable[ast.AST] | None:
        if node.id in ('print', 'printed'):
            self.error(node, f'不允许使用 {node.id}（{node.id} is not available）')
            return node
        return super().visit_Name(node)

    def visit_Call(self, node: ast.Call) -> ast.AST | Iterable[ast.AST] | None:
        """Calling a withheld builtin would only fail at run time; say so at deploy time."""
        if isinstance(node.func, ast.Name) and node.func.id in _WITHHELD_BUILTINS:
            self.error(node, f'不允许调用 {node.func.id}（{node.func.id}() is not available in the sandbox）')
        return super().visit_Call(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            constants = [part for part in parts if isinstance(part, ast.Constant)]
            if len(constants) != len(parts):
                self.error(node, 'f-string 的格式说明必须是常量（format specs must be constant）')
            elif any(_widest_number(part.value) > MAX_FORMAT_WIDTH for part in constants):
                self.error(node, 'f-string 的宽度过大（format width too large）')
        return self.node_contents_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = _GUARDED_BINARY.get(type(node.op))
        if symbol is None:
            return node
        guarded = ast.Call(
            func=ast.Name('_binop_', ast.Load()),
            args=[ast.Constant(symbol), node.left, node.right],
            keywords=[],
        )
        return ast.fix_missing_locations(ast.copy_location(guarded, node))


def _widest_number(text: object) -> int:
    digits = ''.join(ch if ch.isdigit() else ' ' for ch in str(text)).split()
    return max((int(d) for d in digits), default=0)


def _too_big(chinese: str, english: str) -> ScriptTooExpensive:
    return ScriptTooExpensive(f'数值过大：{chinese}', f'value too large: {english}')


def _checked_power(base: object, exponent: object) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if base.bit_length() * exponent > MAX_INTEGER_BITS:
            raise _too_big('乘方结果过大', 'power result too large')


def _checked_product(left: object, right: object) -> None:
    sequences = (str, bytes, list, tuple)
    if isinstance(left, int) and isinstance(right, sequences):
        left, right = right, left
    if isinstance(left, sequences) and isinstance(right, int):
        if len(left) * right > MAX_SEQUENCE_LENGTH:
            raise _too_big('重复后的序列过长', 'repeated sequence too long')
    elif isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INTEGER_BITS:
            raise _too_big('乘积过大', 'product too large')


def _checked_shift(value: object, shift: object) -> None:
    if isinstance(value, int) and isinstance(shift, int) and shift > MAX_INTEGER_BITS:
        raise _too_big('移位过大', 'shift too large')


def _checked_modulo(left: object, right: object) -> None:
    if isinstance(left, (str, bytes)):
        raise ScriptNotAllowed('不允许用 % 格式化文本，请使用 f-string', 'use f-strings instead of % formatting')


# Operands and results are whatever values the sandboxed code computes: Any is their honest type.
_BINARY: dict[str, tuple[Callable[[object, object], None], Callable[[Any, Any], Any]]] = {
    '**': (_checked_power, operator.pow),
    '*': (_checked_product, operator.mul),
    '<<': (_checked_shift, operator.lshift),
    '%': (_checked_modulo, operator.mod),
}


def _binop(symbol: str, left: Any, right: Any) -> Any:
    check, apply = _BINARY[symbol]
    check(left, right)
    return apply(left, right)


_IN_PLACE: dict[str, Callable[[Any, Any], Any]] = {
    '+=': operator.add,
    '-=': operator.sub,
    '/=': operator.truediv,
    '//=': operator.floordiv,
    '&=': operator.and_,
    '|=': operator.or_,
    '^=': operator.xor,
    '>>=': operator.rshift,
    '@=': operator.matmul,
}


def _inplacevar(symbol: str, current: Any, value: Any) -> Any:
    plain = symbol[:-1]
    if plain in _BINARY:
        return _binop(plain, current, value)
    return _IN_PLACE[symbol](current, value)


def _capped_range(*args: SupportsIndex) -> range:
    numbers = range(*args)
    try:
        length = len(numbers)
    except OverflowError:
        length = MAX_RANGE_LENGTH + 1
    if length > MAX_RANGE_LENGTH:
        raise _too_big(f'range 最多 {MAX_RANGE_LENGTH} 个元素', f'range is limited to {MAX_RANGE_LENGTH} items')
    return numbers


def _capped_pow(base: Any, exponent: Any, modulus: Any = None) -> Any:
    if modulus is None:
        return _binop('**', base, exponent)
    return pow(base, exponent, modulus)


_PADDING_METHODS = frozenset({'ljust', 'rjust', 'center', 'zfill', 'expandtabs'})


def _getattr(obj: object, name: str) -> Any:
    """safer_getattr_raise, plus a cap on the width given to str padding methods."""
    # RestrictedPython leaves this guard unannotated.
    value = safer_getattr_raise(obj, name)  # type: ignore[no-untyped-call]
    if isinstance(obj, str) and name in _PADDING_METHODS:

        def padded(*args: object) -> Any:
            if any(isinstance(a, int) and a > MAX_SEQUENCE_LENGTH for a in args):
                raise _too_big('填充宽度过大', 'padding width too large')
            return value(*args)

        return padded
    return value


SANDBOX_BUILTINS: dict[str, object] = {
    'None': None,
    'True': True,
    'False': False,
    'abs': abs,
    'bool': bool,
    'int': int,
    'float': float,
    'complex': complex,
    'divmod': divmod,
    'round': round,
    'pow': _capped_pow,
    'str': str,
    'chr': chr,
    'ord': ord,
    'repr': repr,
    'hex': hex,
    'oct': oct,
    'len': len,
    'list': list,
    'tuple': tuple,
    'dict': dict,
    'set': set,
    'frozenset': frozenset,
    'sorted': sorted,
    'reversed': reversed,
    'enumerate': enumerate,
    'zip': zip,
    'range': _capped_range,
    'min': min,
    'max': max,
    'sum': sum,
    'any': any,
    'all': all,
    'map': map,
    'filter': filter,
    'slice': slice,
    'isinstance': isinstance,
    'callable': callable,
    'Decimal': Decimal,
    'date': date,
    'datetime': datetime,
    'timedelta': timedelta,
    'Exception': Exception,
    'ValueError': ValueError,
    'TypeError': TypeError,
    'KeyError': KeyError,
    'ArithmeticError': ArithmeticError,
    'ZeroDivisionError': ZeroDivisionError,
    '_getattr_': _getattr,
    '_getitem_': default_guarded_getitem,
    '_getiter_': default_guarded_getiter,
    '_write_': full_write_guard,
    '_iter_unpack_sequence_': guarded_iter_unpack_sequence,
    '_unpack_sequence_': guarded_unpack_sequence,
    '_inplacevar_': _inplacevar,
    '_binop_': _binop,
}


# Python builtins left out of the sandbox: calling one is refused when the diagram is deployed.
_WITHHELD_BUILTINS = frozenset(dir(builtins)) - frozenset(SANDBOX_BUILTINS)


def _refusal(errors: Sequence[str]) -> ScriptNotAllowed:
    detail = '；'.join(errors)
    if any('SyntaxError' in error for error in errors):
        return ScriptNotAllowed(f'语法错误：{detail}', 'syntax error')
    return ScriptNotAllowed(f'脚本不被允许：{detail}', 'script not allowed')


@lru_cache(maxsize=2048)
def compiled_expression(text: str) -> CodeType:
    """Compile once per distinct expression: gateways evaluate the same text on every pass."""
    source = text.strip()
    if len(source) > MAX_EXPRESSION_CHARS:
        raise ScriptNotAllowed(
            f'表达式过长（最多 {MAX_EXPRESSION_CHARS} 个字符）',
            f'expressions are limited to {MAX_EXPRESSION_CHARS} characters',
        )
    result = compile_restricted_eval(source, SOURCE_NAME, policy=_SandboxPolicy)
    if result.errors:
        raise _refusal(result.errors)
    assert result.code is not None  # RestrictedPython gives code whenever it reports no errors
    return result.code


@lru_cache(maxsize=2048)
def compiled_script(text: str) -> CodeType:
    source = textwrap.dedent(text)
    if len(source) > MAX_SCRIPT_CHARS:
        raise ScriptNotAllowed(
            f'脚本过长（最多 {MAX_SCRIPT_CHARS} 个字符）', f'scripts are limited to {MAX_SCRIPT_CHARS} characters'
        )
    result = compile_restricted_exec(source, SOURCE_NAME, policy=_SandboxPolicy)
    if result.errors:
        raise _refusal(result.errors)
    assert result.code is not None  # RestrictedPython gives code whenever it reports no errors
    return result.code


def check_expression(text: str) -> str | None:
    """The reason an expression would be refused, or None when it compiles in the sandbox."""
    try:
        compiled_expression(text or '')
    except ScriptNotAllowed as refused:
        return str(refused)
    return None


def check_script(text: str) -> str | None:
    """The reason a script would be refused, or None when it compiles in the sandbox."""
    try:
        compiled_script(text or '')
    except ScriptNotAllowed as refused:
        return str(refused)
    return None


def _visible(values: Mapping[str, Any]) -> dict[str, Any]:
    """Sandboxed code cannot name `_`-prefixed keys; keeping them out also stops data shadowing the guards."""
    return {name: value for name, value in values.items() if not name.startswith('_')}


# SpiffWorkflow ships no types, so its base class is Any to mypy.
class SandboxEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """SpiffWorkflow script environment that runs everything through the sandbox.

    `evaluate` runs a vetted expression here and anything else in the worker; `execute` runs every
    script in the worker. The `_here` methods run the code in this process: the worker calls them.
    """

    def __init__(self, environment_globals: dict[str, Any] | None = None) -> None:
        super().__init__(environment_globals)
        self.function_names = frozenset(self.globals)

    def _namespace(self, context: Mapping[str, Any], external_context: Mapping[str, Any] | None) -> dict[str, Any]:
        namespace = dict(self.globals)
        namespace.update(_visible(external_context or {}))
        namespace.update(_visible(context))
        namespace['__builtins__'] = SANDBOX_BUILTINS
        return namespace

    def evaluate(
        self, expression: str, context: Mapping[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> Any:
        code = compiled_expression(expression)
        if is_vetted(expression, self.function_names):
            return eval(code, self._namespace(context, external_context))
        return pool.run('eval', expression, _visible(context), _visible(external_context or {}), self.globals)

    def execute(self, script: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None) -> bool:
        """Run a script task in the worker; the task data changes only if the script finishes."""
        self._refuse_shadowing(context, external_context)
        compiled_script(script)
        data = pool.run('exec', script, _visible(context), _visible(external_context or {}), self.globals)
        hidden = {name: value for name, value in context.items() if name.startswith('_')}
        context.clear()
        context.update(hidden)
        context.update(data)
        return True

    def evaluate_here(
        self, expression: str, context: Mapping[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> Any:
        return eval(compiled_expression(expression), self._namespace(context, external_context))

    def execute_here(
        self, script: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> None:
        """Run a script in this process and leave in `context` the task data it stores."""
        self._refuse_shadowing(context, external_context)
        code = compiled_script(script)
        namespace = self._namespace(context, external_context)
        exec(code, namespace)
        injected = set(self.globals) | set(external_context or {})
        hidden = {name: value for name, value in context.items() if name.startswith('_')}
        context.clear()
        context.update(hidden)
        context.update(
            (name, value)
            for name, value in namespace.items()
            if name != '__builtins__' and name not in injected and not callable(value)
        )

    def _refuse_shadowing(self, context: Mapping[str, Any], external_context: Mapping[str, Any] | None) -> None:
        injected = set(self.globals) | set(external_context or {})
        shadowed = injected.intersection(context)
        if shadowed:
            raise ValueError(f'任务数据覆盖了预置函数，请改名：{sorted(shadowed)}')


def make_script_engine(functions: Mapping[str, Callable[..., object]]) -> PythonScriptEngine:
    """A SpiffWorkflow script engine whose scripts see only the sandbox builtins and `functions`."""
    return PythonScriptEngine(environment=SandboxEnvironment(dict(functions)))
