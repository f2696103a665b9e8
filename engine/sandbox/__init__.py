"""Scripts and expressions of diagrams: the RestrictedPython engine and the functions a diagram may call. May import core and workcalendar."""
