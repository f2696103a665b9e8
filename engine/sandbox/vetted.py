"""Expressions whose cost is bounded by their form: the ones evaluated inside the server's own process.

Gateways and timers evaluate a handful of short expressions on every step (`decision == 'approve'`,
`stage_due(limits.get("payout"), case_due)`); a trip to the sandbox worker for each would cost more
than the step itself. An expression is *vetted* when every node of it is one of:

  - a constant, a name, an attribute, a subscript or slice, a tuple/list/set/dict display;
  - a comparison (any operator), `and`/`or`/`not`, unary `-`/`+`/`~`, `x if c else y`;
  - an f-string without format specs (a spec such as `:f` could print a Decimal's exponent in full);
  - a call, without `*`/`**` arguments, of a function the diagram may call (the calendar and clock,
    each bounding its own arguments), of `len bool str float abs min max any all isinstance Decimal
    date datetime timedelta`, or of a method `get startswith endswith strip lstrip rstrip lower upper
    isdigit isoformat keys values items`;

and it has at most MAX_NODES nodes. No node loops, repeats or multiplies anything (no arithmetic at
all, no comprehensions, no lambdas), so each costs at most a pass over its operands and yields
something no larger than them: the whole expression costs O(nodes x size of the task data and the
constants) in time and memory. `int()` is left out because `int(Decimal('1e999999999'))` builds a
billion-digit number. Everything else goes to the bounded worker (`engine.sandbox.pool`).
"""

import ast
from collections.abc import Iterable
from functools import lru_cache

MAX_NODES = 100

SAFE_BUILTIN_CALLS = frozenset(
    {
        'len',
        'bool',
        'str',
        'float',
        'abs',
        'min',
        'max',
        'any',
        'all',
        'isinstance',
        'Decimal',
        'date',
        'datetime',
        'timedelta',
    }
)
SAFE_METHODS = frozenset(
    {
        'get',
        'startswith',
        'endswith',
        'strip',
        'lstrip',
        'rstrip',
        'lower',
        'upper',
        'isdigit',
        'isoformat',
        'keys',
        'values',
        'items',
    }
)

_PLAIN = (
    ast.Expression,
    ast.Constant,
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.Tuple,
    ast.List,
    ast.Set,
    ast.Dict,
    ast.Compare,
    ast.BoolOp,
    ast.IfExp,
    ast.JoinedStr,
    ast.Load,
    ast.And,
    ast.Or,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Invert,
    ast.UnaryOp,
    ast.cmpop,
)


def is_vetted(text: str, functions: Iterable[str]) -> bool:
    """True when `text` (already accepted by the sandbox policy) is bounded by construction."""
    return _vetted(text.strip(), frozenset(functions))


@lru_cache(maxsize=4096)
def _vetted(text: str, functions: frozenset[str]) -> bool:
    try:
        tree = ast.parse(text, mode='eval')
    except SyntaxError:
        return False
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        return False
    callable_names = SAFE_BUILTIN_CALLS | functions
    for node in nodes:
        if isinstance(node, _PLAIN):
            if isinstance(node, ast.Dict) and any(key is None for key in node.keys):
                return False  # {**other}
            continue
        if isinstance(node, ast.FormattedValue):
            if node.format_spec is not None:
                return False
            continue
        if isinstance(node, ast.keyword):
            if node.arg is None:
                return False  # f(**other)
            continue
        if isinstance(node, ast.Call):
            if not _safe_callee(node.func, callable_names):
                return False
            continue
        return False  # arithmetic, comprehensions, lambdas, starred, walrus, ...
    return True


def _safe_callee(func: ast.expr, callable_names: frozenset[str]) -> bool:
    if isinstance(func, ast.Name):
        return func.id in callable_names
    if isinstance(func, ast.Attribute):
        return func.attr in SAFE_METHODS
    return False
