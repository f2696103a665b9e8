// The process modeler: bpmn-js with a small properties panel for what this product reads from a
// diagram (lane = role, a user task's form and stage, timer expressions, gateway conditions), and a
// save that the server validates, each problem shown on its element.
(async function () {
  var container = document.getElementById("canvas");
  var panel = document.getElementById("panel");
  var choices = JSON.parse(document.getElementById("choices").textContent);
  var spiff = {
    name: "SpiffWorkflow", prefix: "spiffworkflow", uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
    xml: { tagAlias: "lowerCase" },
    types: [
      { name: "Properties", superClass: ["Element"], properties: [{ name: "properties", type: "Property", isMany: true }] },
      { name: "Property", properties: [{ name: "name", isAttr: true, type: "String" }, { name: "value", isAttr: true, type: "String" }] }
    ]
  };
  var modeler = new BpmnJS({ container: container, moddleExtensions: { spiffworkflow: spiff } });
  var xml = await (await fetch(container.dataset.source, { credentials: "same-origin" })).text();
  await modeler.importXML(xml);
  modeler.get("canvas").zoom("fit-viewport");
  var modeling = modeler.get("modeling");
  var moddle = modeler.get("moddle");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function row(label, input) {
    var wrap = el("label", { class: "field" });
    wrap.append(el("span", { class: "label" }, label), input);
    panel.append(wrap);
    return input;
  }
  function select(options, current) {
    var box = el("select");
    box.append(el("option", { value: "" }, "（未设置）"));
    Object.keys(options).forEach(function (value) {
      var option = el("option", { value: value }, options[value]);
      if (value === current) option.selected = true;
      box.append(option);
    });
    return box;
  }
  function spiffProperty(bo, name) {
    var ext = bo.extensionElements && bo.extensionElements.values.find(function (v) { return v.$type === "spiffworkflow:Properties"; });
    var prop = ext && ext.properties.find(function (p) { return p.name === name; });
    return prop ? prop.value : "";
  }
  function setSpiffProperty(element, name, value) {
    var bo = element.businessObject;
    var extensions = bo.extensionElements || moddle.create("bpmn:ExtensionElements", { values: [] });
    var ext = extensions.values.find(function (v) { return v.$type === "spiffworkflow:Properties"; });
    if (!ext) { ext = moddle.create("spiffworkflow:Properties", { properties: [] }); extensions.values.push(ext); }
    var others = ext.properties.filter(function (p) { return p.name !== name; });
    if (value) others.push(moddle.create("spiffworkflow:Property", { name: name, value: value }));
    ext.properties = others;
    modeling.updateProperties(element, { extensionElements: extensions });
  }
  function expressionInput(element, bo, key, label) {
    var input = row(label, el("input", { name: key }));
    input.value = bo[key] ? bo[key].body : "";
    input.addEventListener("change", function () {
      var update = {};
      update[key] = input.value ? moddle.create("bpmn:FormalExpression", { body: input.value }) : undefined;
      modeling.updateModdleProperties(element, bo, update);
    });
  }

  function show(element) {
    panel.replaceChildren();
    if (!element) { panel.append(el("p", { class: "hint" }, "选择一个元素以编辑其属性")); return; }
    var bo = element.businessObject;
    panel.append(el("h2", {}, bo.$type.replace("bpmn:", "") + " · " + bo.id));
    if (bo.$type === "bpmn:Lane") {
      var lanes = {};
      choices.lanes.forEach(function (name) { lanes[name] = name; });
      row("泳道（角色）", select(lanes, bo.name)).addEventListener("change", function (e) {
        modeling.updateLabel(element, e.target.value);
      });
      return;
    }
    var name = row("名称", el("input", { name: "name" }));
    name.value = bo.name || "";
    name.addEventListener("change", function () { modeling.updateLabel(element, name.value); });
    if (bo.$type === "bpmn:UserTask") {
      row("表单", select(choices.forms, spiffProperty(bo, "formKey"))).addEventListener("change", function (e) {
        setSpiffProperty(element, "formKey", e.target.value);
      });
      var stage = row("时限环节（stage）", el("input", { name: "stage" }));
      stage.value = spiffProperty(bo, "stage");
      stage.addEventListener("change", function () { setSpiffProperty(element, "stage", stage.value); });
    }
    if (bo.$type === "bpmn:SequenceFlow" && bo.sourceRef.$type === "bpmn:ExclusiveGateway") {
      expressionInput(element, bo, "conditionExpression", "条件表达式");
    }
    (bo.eventDefinitions || []).filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; }).forEach(function (timer) {
      ["timeDate", "timeDuration", "timeCycle"].forEach(function (key) {
        if (timer[key]) expressionInput(element, timer, key, "定时（" + key + "，工作日函数如 working_days_after）");
      });
    });
  }
  modeler.on("selection.changed", function (e) { show(e.newSelection[0]); });

  var overlays = modeler.get("overlays");
  var registry = modeler.get("elementRegistry");

  // What this version adds and changes against the base (computed on the server): coloured with a marker and
  // labelled with a badge; removed elements are only in the list below the canvas.
  var marks = JSON.parse(document.getElementById("diff-marks").textContent);
  var canvas = modeler.get("canvas");
  var badgeText = { added: "新增", changed: "修改" };
  Object.keys(badgeText).forEach(function (kind) {
    (marks[kind] || []).forEach(function (id) {
      if (!registry.get(id)) return;
      canvas.addMarker(id, "diff-" + kind);
      overlays.add(id, "diff", { position: { top: -10, right: 14 }, html: el("span", { class: "diff-badge " + kind }, badgeText[kind]) });
    });
  });
  document.getElementById("deploy").addEventListener("click", async function () {
    var outcome = document.getElementById("outcome");
    var list = document.getElementById("problems");
    overlays.remove({ type: "problem" });
    list.replaceChildren();
    var saved = await modeler.saveXML({ format: true });
    var response = await fetch(container.dataset.deploy, {
      method: "POST", credentials: "same-origin", body: saved.xml,
      headers: { "Content-Type": "application/xml", "X-CSRFToken": container.dataset.csrf }
    });
    var body = await response.json();
    if (response.ok) {
      outcome.textContent = body.created ? "已部署为新版本 v" + body.version : "内容未变化，仍为 v" + body.version;
      outcome.className = "ok";
      return;
    }
    outcome.textContent = body.message;
    outcome.className = "error-text";
    (body.problems || []).forEach(function (problem) {
      list.append(el("li", {}, (problem.element_id ? problem.element_id + "：" : "") + problem.message));
      if (problem.element_id && registry.get(problem.element_id)) {
        overlays.add(problem.element_id, "problem", {
          position: { top: -14, left: 0 }, html: el("div", { class: "problem-badge", title: problem.message }, "！" + problem.message)
        });
      }
    });
  });
  container.dataset.ready = "true";
})();
