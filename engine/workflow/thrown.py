"""Errors a flow threw that nothing in it caught: SpiffWorkflow keeps them among the workflow's outgoing events."""

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition

from engine.core.typing import Workflow


def take_uncaught_error(workflow: Workflow, code: str) -> bool:
    """True (and the event taken off the workflow) when the flow threw the error `code` and nothing caught it."""
    kept, found = [], False
    for event in workflow.bpmn_events:
        definition = event.event_definition
        if isinstance(definition, ErrorEventDefinition) and definition.code == code:
            found = True
        else:
            kept.append(event)
    workflow.bpmn_events = kept
    return found
