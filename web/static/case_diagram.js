// A case on its diagram: completed steps and the flows it went through in green, waiting steps in orange.
// Drawn no smaller than MIN_SCALE so that its 12 px labels stay readable (at least 10 px on screen): a diagram
// wider than the frame scrolls in it natively (a finger on a phone, the wheel at a desk), centred on the current
// step; 放大/缩小 change the size and 全图 fits its whole width in the frame.
(async function () {
  var MIN_SCALE = 0.85;
  var MAX_SCALE = 2;
  var MARGIN = 20;
  var container = document.getElementById("diagram");
  var frame = container.parentElement;
  var marks = await (await fetch(container.dataset.source, { credentials: "same-origin" })).json();
  var viewer = new BpmnJS({
    container: container,
    textRenderer: { defaultStyle: { fontSize: 12 }, externalStyle: { fontSize: 12 } },
  });
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

  var drawing = canvas.viewbox().inner;
  var area = { x: drawing.x - MARGIN, y: drawing.y - MARGIN, width: drawing.width + 2 * MARGIN, height: drawing.height + 2 * MARGIN };
  var fitWidth = function () { return frame.clientWidth / area.width; };

  function show(scale) {
    container.style.width = Math.ceil(area.width * scale) + "px";
    container.style.height = Math.ceil(area.height * scale) + "px";
    canvas.resized();
    canvas.viewbox(area);
    container.dataset.scale = String(canvas.zoom());
  }

  function centreOn(element) {
    var scale = canvas.zoom();
    frame.scrollLeft = (element.x + element.width / 2 - area.x) * scale - frame.clientWidth / 2;
    frame.scrollTop = (element.y + element.height / 2 - area.y) * scale - frame.clientHeight / 2;
  }

  show(Math.min(1, Math.max(MIN_SCALE, fitWidth())));
  var current = marks.active.map(function (id) { return registry.get(id); }).filter(Boolean)[0];
  if (current) centreOn(current);

  document.querySelectorAll("[data-diagram-zoom]").forEach(function (button) {
    button.addEventListener("click", function () {
      var how = button.dataset.diagramZoom;
      var scale = canvas.zoom();
      if (how === "in") scale = Math.min(MAX_SCALE, scale * 1.25);
      if (how === "out") scale = Math.max(Math.min(fitWidth(), MIN_SCALE), scale / 1.25);
      if (how === "whole") scale = fitWidth();
      show(scale);
    });
  });
  container.dataset.ready = "true";
})();
