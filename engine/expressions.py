"""What BPMN expressions and scripts may call, and the sandboxed script engine that runs them."""
from functools import cache

from engine import workcalendar
from engine.scripting import make_script_engine


def expression_functions() -> dict:
    """Domain functions offered to diagrams, e.g. timers in working days."""
    return {
        "working_days_after": workcalendar.working_days_after,
    }


@cache
def script_engine():
    return make_script_engine(expression_functions())
