"""User tasks: the task projection of a workflow and the inbox, claim, release and complete. May import core, org, catalogue, bpmn, workflow, cases."""
