"""Timers of diagrams: the indexed timer table, the sweep that fires due ones, and recomputation after a new holiday notice. May import core, bpmn, workflow, cases."""
