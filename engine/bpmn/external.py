"""External service tasks: a service task with a topic waits for a worker (Camunda 7's external task).

The topic is read from whichever modeler drew the diagram:

- Camunda 7: `<serviceTask camunda:type="external" camunda:topic="…" camunda:taskPriority="…">`;
- Flowable: `<serviceTask flowable:type="external-worker" flowable:topic="…">`;
- Zeebe (Camunda 8): `<extensionElements><zeebe:taskDefinition type="…"/></extensionElements>`;
- this product (spiffworkflow extension): `<spiffworkflow:properties><spiffworkflow:property name="topic"
  value="…"/></spiffworkflow:properties>` in the task's extensionElements.

In SpiffWorkflow such a task parses to `ExternalServiceTask`, which never runs a service call: like a manual
task it stays READY until it is completed from outside (`engine.tasks.external`) with the worker's variables.
"""

from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask as ManualTaskMixin
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask

from engine.bpmn.xmlread import Element

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
FLOWABLE_NS = "http://flowable.org/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
TOPIC_LENGTH = 100


def topic_of(element: Element) -> str | None:
    """The external-task topic a service task names in any of the supported extensions; None without one."""
    if element.get(f"{{{CAMUNDA_NS}}}type") == "external" and element.get(f"{{{CAMUNDA_NS}}}topic"):
        return _clean(element.get(f"{{{CAMUNDA_NS}}}topic"))
    if element.get(f"{{{FLOWABLE_NS}}}type") == "external-worker" and element.get(f"{{{FLOWABLE_NS}}}topic"):
        return _clean(element.get(f"{{{FLOWABLE_NS}}}topic"))
    for extensions in element.iterchildren(f"{{{BPMN_NS}}}extensionElements"):
        for definition in extensions.iterchildren(f"{{{ZEEBE_NS}}}taskDefinition"):
            if definition.get("type"):
                return _clean(definition.get("type"))
        for properties in extensions.iterchildren(f"{{{SPIFF_NS}}}properties"):
            for prop in properties.iterchildren(f"{{{SPIFF_NS}}}property"):
                if prop.get("name") == "topic" and prop.get("value"):
                    return _clean(prop.get("value"))
    return None


def priority_of(element: Element) -> int:
    """Camunda's `camunda:taskPriority` when it is a number (an expression there is not evaluated): else 0."""
    text = (element.get(f"{{{CAMUNDA_NS}}}taskPriority") or "").strip()
    return int(text) if text.lstrip("-").isdigit() and len(text) < 10 else 0


def _clean(topic: str | None) -> str | None:
    topic = (topic or "").strip()
    return topic[:TOPIC_LENGTH] or None


# SpiffWorkflow ships no types: its task spec classes are Any to mypy.
class ExternalServiceTask(ManualTaskMixin, SpiffBpmnTask):  # type: ignore[misc]
    """A service task that waits, READY, for an external worker to complete it (never run by the engine)."""

    def __init__(self, wf_spec: Any, bpmn_id: str, topic: str, priority: int = 0, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic
        self.priority = priority


class ExternalServiceTaskParser(SpiffTaskParser):  # type: ignore[misc]
    """Builds an `ExternalServiceTask` for a service task with a topic; others keep SpiffWorkflow's parser
    (deploy-time checks refuse them)."""

    def create_task(self) -> Any:
        topic = topic_of(self.node)
        if topic is None:
            fallback = SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("serviceTask")]
            self.spec_class = fallback[1]
            return fallback[0].create_task(self)
        extensions = self.parse_extensions()
        return self.spec_class(
            self.spec,
            self.bpmn_id,
            topic=topic,
            priority=priority_of(self.node),
            prescript=extensions.get("preScript"),
            postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )


class ProductBpmnParser(SpiffBpmnParser):  # type: ignore[misc]
    """SpiffWorkflow's parser with service tasks that have a topic read as external tasks."""

    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ExternalServiceTaskParser, ExternalServiceTask),
    }


def is_external(task_spec: object) -> bool:
    return isinstance(task_spec, ExternalServiceTask)
