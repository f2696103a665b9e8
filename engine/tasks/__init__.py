"""User tasks: the task projection of a workflow and the inbox, claim, release and complete; the open tasks counted
per limit, unit and stage for the SLA figures (`open_counts`). May import core, org, catalogue, bpmn, workflow, cases."""
