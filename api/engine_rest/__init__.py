"""The engine REST interface of Camunda 7 (`/engine-rest/...`), so that the workers and clients people already run
connect unchanged: external tasks (`external_task`) and message correlation (`message`). Bodies, variables, status
codes and error bodies (`{"type": ..., "message": ...}`) follow Camunda's; each handler calls one engine function."""
