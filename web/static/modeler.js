// The process modeler: bpmn-js in Chinese with a small properties panel for what this product reads from a
// diagram (lane = role, a user task's form and stage, timer expressions, gateway conditions). A deploy is
// validated on the server and confirmed by the designer, who sees what it changes; the page then opens the
// version deployed, so the header always names the version being edited.
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
  // bpmn-js asks `translate` for every text it shows (palette, context pad, element menu)
  function translate(template, replacements) {
    return (choices.ui[template] || template).replace(/{([^}]+)}/g, function (whole, key) {
      return replacements && replacements[key] !== undefined ? replacements[key] : whole;
    });
  }
  var modeler = new BpmnJS({
    container: container,
    additionalModules: [{ translate: ["value", translate] }],
    moddleExtensions: { spiffworkflow: spiff }
  });
  var xml = await (await fetch(container.dataset.source, { credentials: "same-origin" })).text();
  await modeler.importXML(xml);
  var canvas = modeler.get("canvas");
  var modeling = modeler.get("modeling");
  var moddle = modeler.get("moddle");
  var overlays = modeler.get("overlays");
  var registry = modeler.get("elementRegistry");

  // The whole diagram in the part of the canvas the palette leaves free: beside it on a desk, below it on a
  // phone (where the palette is a strip across the top), whichever shows the diagram larger.
  function fitBesidePalette() {
    canvas.zoom("fit-viewport");
    var box = canvas.viewbox();
    var inner = box.inner, outer = box.outer;
    var frame = container.getBoundingClientRect();
    var palette = container.querySelector(".djs-palette").getBoundingClientRect();
    var margin = 16;
    var areas = [
      { left: palette.right - frame.left + margin, top: margin },
      { left: margin, top: palette.bottom - frame.top + margin }
    ];
    function scaleIn(area) {
      return Math.min((outer.width - area.left - margin) / inner.width, (outer.height - area.top - margin) / inner.height);
    }
    var area = scaleIn(areas[0]) >= scaleIn(areas[1]) ? areas[0] : areas[1];
    var scale = Math.min(scaleIn(area), 1);
    canvas.viewbox({
      x: inner.x - area.left / scale, y: inner.y - area.top / scale,
      width: outer.width / scale, height: outer.height / scale
    });
  }
  fitBesidePalette();

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function row(label, input, hint) {
    var wrap = el("label", { class: "field" });
    var text = el("span", { class: "label" }, label);
    wrap.append(text, input);
    if (hint) wrap.append(el("small", { class: "hint" }, hint));
    panel.append(wrap);
    return input;
  }
  function select(options, current, empty) {
    var box = el("select");
    box.append(el("option", { value: "" }, empty || "（未设置）"));
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
  function expressionInput(element, bo, key, label, hint) {
    var input = row(label, el("input", { name: key }), hint);
    input.value = bo[key] ? bo[key].body : "";
    input.addEventListener("change", function () {
      var update = {};
      update[key] = input.value ? moddle.create("bpmn:FormalExpression", { body: input.value }) : undefined;
      modeling.updateModdleProperties(element, bo, update);
    });
  }
  // 用户任务, 开始事件（计时器）: the element's kind as a designer reads it
  function kindOf(bo) {
    var local = bo.$type.replace("bpmn:", "");
    var kind = choices.kinds[local.charAt(0).toLowerCase() + local.slice(1)] || "元素";
    var events = (bo.eventDefinitions || []).map(function (d) { return choices.events[d.$type.replace("bpmn:", "")]; });
    events = events.filter(Boolean);
    return events.length ? kind + "（" + events.join("、") + "）" : kind;
  }
  function nameOf(bo) {
    return (bo.name || "").trim() || "（未命名" + kindOf(bo) + "）";
  }
  function heading(bo) {
    var kind = el("p", { class: "element-kind" }, kindOf(bo) + " · 标识 ");
    kind.append(el("span", { class: "mono element-id" }, bo.id));
    panel.append(el("h2", { class: "element-name" }, nameOf(bo)), kind);
  }
  var timerLabels = { timeDate: "计时器日期时间", timeDuration: "计时器时长", timeCycle: "计时器循环周期" };

  function show(element) {
    panel.replaceChildren();
    if (!element) { panel.append(el("p", { class: "hint" }, "选择一个元素以编辑其属性")); return; }
    var bo = element.businessObject;
    heading(bo);
    if (bo.$type === "bpmn:Lane") {
      var lanes = {};
      choices.lanes.forEach(function (name) { lanes[name] = name; });
      row("经办角色", select(lanes, bo.name), "泳道名称即办理其中环节的角色").addEventListener("change", function (e) {
        modeling.updateLabel(element, e.target.value);
      });
      return;
    }
    var name = row("名称", el("input", { name: "name" }));
    name.value = bo.name || "";
    name.addEventListener("change", function () { modeling.updateLabel(element, name.value); });
    if (bo.$type === "bpmn:UserTask") {
      row("办理表单", select(choices.forms, spiffProperty(bo, "formKey"))).addEventListener("change", function (e) {
        setSpiffProperty(element, "formKey", e.target.value);
      });
      var stages = Object.assign({}, choices.stages);
      var stage = spiffProperty(bo, "stage");
      if (stage && !stages[stage]) stages[stage] = "其他环节（" + stage + "）";
      row("计时环节", select(stages, stage, "（不按清单的环节时限计时）"), "按事项清单为该环节规定的工作日计时")
        .addEventListener("change", function (e) { setSpiffProperty(element, "stage", e.target.value); });
    }
    if (bo.$type === "bpmn:SequenceFlow" && bo.sourceRef.$type === "bpmn:ExclusiveGateway") {
      expressionInput(element, bo, "conditionExpression", "分支条件", "按办件数据判断，例如 approved == True");
    }
    (bo.eventDefinitions || []).filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; }).forEach(function (timer) {
      Object.keys(timerLabels).forEach(function (key) {
        if (timer[key]) expressionInput(element, timer, key, timerLabels[key], "可按工作日计算，例如 working_days_after(now(), 3)");
      });
    });
  }
  modeler.on("selection.changed", function (e) { show(e.newSelection[0]); });

  // What this version adds and changes against the base (computed on the server): coloured with a marker and
  // labelled with a badge; removed elements are only in the list below the canvas.
  var marks = JSON.parse(document.getElementById("diff-marks").textContent);
  var badgeText = { added: "新增", changed: "修改" };
  Object.keys(badgeText).forEach(function (kind) {
    (marks[kind] || []).forEach(function (id) {
      if (!registry.get(id)) return;
      canvas.addMarker(id, "diff-" + kind);
      overlays.add(id, "diff", { position: { top: -10, right: 14 }, html: el("span", { class: "diff-badge " + kind }, badgeText[kind]) });
    });
  });

  var outcome = document.getElementById("outcome");
  var list = document.getElementById("problems");
  var dialog = document.getElementById("confirm-deploy");
  var confirmYes = document.getElementById("confirm-yes");
  var pending = null;

  async function post(url, body) {
    var response = await fetch(url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "Content-Type": "application/xml", "X-CSRFToken": container.dataset.csrf }
    });
    var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
    var answer = json ? await response.json() : { message: "服务器未能处理（" + response.status + "），请稍后重试" };
    return { ok: response.ok, body: answer };
  }
  function refused(body) {
    outcome.textContent = body.message;
    outcome.className = "error-text";
    (body.problems || []).forEach(function (problem) {
      var item = el("li", {}, problem.message);
      var element = problem.element_id && registry.get(problem.element_id);
      if (element) {
        item.append(" ", el("span", { class: "mono problem-id" }, problem.element_id));
        item.addEventListener("click", function () { modeler.get("selection").select(element); });
        overlays.add(problem.element_id, "problem", {
          position: { top: -14, left: 0 }, html: el("div", { class: "problem-badge", title: problem.message }, "！" + problem.message)
        });
      }
      list.append(item);
    });
  }
  document.getElementById("deploy").addEventListener("click", async function () {
    overlays.remove({ type: "problem" });
    list.replaceChildren();
    outcome.textContent = "正在校验…";
    outcome.className = "";
    pending = (await modeler.saveXML({ format: true })).xml;
    var answer = await post(container.dataset.review, pending);
    if (!answer.ok) { refused(answer.body); return; }
    outcome.textContent = "";
    document.getElementById("confirm-changes").innerHTML = answer.body.html;
    confirmYes.disabled = false;
    dialog.showModal();
  });
  document.getElementById("confirm-no").addEventListener("click", function () { dialog.close(); });
  confirmYes.addEventListener("click", async function () {
    confirmYes.disabled = true;
    var answer = await post(container.dataset.deploy, pending);
    if (answer.ok) { window.location.assign(answer.body.edit_url); return; }
    dialog.close();
    refused(answer.body);
  });
  container.dataset.ready = "true";
})();
