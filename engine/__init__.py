"""The domain: BPMN execution, the working-day calendar, persistence. Never imports Flask."""
