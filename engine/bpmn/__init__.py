"""Diagrams: reading BPMN XML, checks and validation of uploads, vendor import, deployment and versions, what an instance diagram marks. May import core, sandbox and workflow."""
