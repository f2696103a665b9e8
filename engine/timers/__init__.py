"""Timers of diagrams: the indexed timer table, the sweep that fires due ones, recomputation after a new holiday
notice, and the listing administrators watch. May import core, org, bpmn, workflow, cases."""
