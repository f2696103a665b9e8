// Scans (附件): drop files onto an upload form, show what was chosen, stop a file over the limit before it is
// sent, confirm a deletion, and tick a material on the 受理 page once its scan is chosen.
(function () {
  if (window.yibaoAttachments) return; // the macros may include this file more than once
  window.yibaoAttachments = true;

  function describe(files) {
    return Array.prototype.map.call(files, function (f) {
      return f.name + "（" + (f.size >= 1048576 ? (f.size / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(f.size / 1024)) + " KB") + "）";
    }).join("、");
  }

  function chosen(form) {
    var files = [];
    form.querySelectorAll('input[type="file"]').forEach(function (input) {
      Array.prototype.push.apply(files, input.files || []);
    });
    return files;
  }

  function refresh(form) {
    var note = form.querySelector(".upload-chosen");
    var files = chosen(form);
    if (note) note.textContent = files.length ? "已选择：" + describe(files) : "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-drop-zone]").forEach(function (form) {
      var picker = form.querySelector('input[type="file"]:not([capture])') || form.querySelector('input[type="file"]');
      ["dragenter", "dragover"].forEach(function (kind) {
        form.addEventListener(kind, function (e) { e.preventDefault(); form.classList.add("dragging"); });
      });
      ["dragleave", "drop"].forEach(function (kind) {
        form.addEventListener(kind, function (e) { e.preventDefault(); form.classList.remove("dragging"); });
      });
      form.addEventListener("drop", function (e) {
        if (!e.dataTransfer || !e.dataTransfer.files.length || !picker) return;
        form.querySelectorAll('input[type="file"]').forEach(function (input) { if (input !== picker) input.value = ""; });
        picker.files = e.dataTransfer.files;
        refresh(form);
      });
      form.addEventListener("change", function () { refresh(form); });
    });

    document.querySelectorAll("form[data-max-file]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        var limit = Number(form.dataset.maxFile);
        var over = chosen(form).filter(function (f) { return f.size > limit; });
        if (over.length) {
          e.preventDefault();
          window.alert(form.dataset.tooLarge + "：" + describe(over));
        }
      });
    });

    document.querySelectorAll("button[data-confirm]").forEach(function (button) {
      button.form.addEventListener("submit", function (e) {
        if (!window.confirm(button.dataset.confirm)) e.preventDefault();
      });
    });

    document.querySelectorAll("input[data-tick]").forEach(function (input) {
      input.addEventListener("change", function () {
        var box = document.getElementById(input.dataset.tick);
        if (box && input.files.length) box.checked = true;
      });
    });
  });
})();
