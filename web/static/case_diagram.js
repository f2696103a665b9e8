// A case on its diagram: completed steps and the flows it went through in green, waiting steps in orange.
(async function () {
  var container = document.getElementById("diagram");
  var marks = await (await fetch(container.dataset.source, { credentials: "same-origin" })).json();
  var viewer = new BpmnJS({ container: container });
  await viewer.importXML(marks.xml);
  var canvas = viewer.get("canvas");
  var registry = viewer.get("elementRegistry");
  var done = new Set(marks.completed);
  var active = new Set(marks.active);
  var taken = new Set(marks.taken.map(function (pair) { return pair[0] + ">" + pair[1]; }));
  registry.forEach(function (element) {
    if (done.has(element.id)) canvas.addMarker(element.id, "done");
    if (active.has(element.id)) canvas.addMarker(element.id, "active");
    if (element.type === "bpmn:SequenceFlow" && taken.has(element.source.id + ">" + element.target.id)) {
      canvas.addMarker(element.id, "done");
    }
  });
  canvas.zoom("fit-viewport");
  container.dataset.ready = "true";
})();
