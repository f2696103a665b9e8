// Every page: on a phone the header's menu folds behind the 菜单 button (without script it stays a wrapping row);
// a table wider than its place scrolls sideways in its own box, and such a box can be reached and scrolled with
// the keyboard.
(function () {
  var bar = document.querySelector(".topbar");
  var toggle = bar && bar.querySelector(".menu-toggle");
  if (toggle) {
    bar.classList.add("collapsible");
    var setOpen = function (open) {
      bar.classList.toggle("open", open);
      toggle.setAttribute("aria-expanded", String(open));
    };
    toggle.addEventListener("click", function () { setOpen(!bar.classList.contains("open")); });
    bar.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && bar.classList.contains("open")) {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  var reachable = function (box, scrolls) {
    if (scrolls) {
      var section = box.closest("section");
      var title = box.querySelector("caption") || (section && section.querySelector("h2"));
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", (title ? title.textContent.trim() : "表格") + "（可左右滚动）");
    } else if (box.hasAttribute("tabindex")) {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  };
  var lay = function () {
    document.querySelectorAll("table.list:not(.cards)").forEach(function (table) {
      if (table.closest(".list-scroll, .table-scroll")) return;
      table.classList.remove("scrolls");
      table.classList.toggle("scrolls", table.offsetWidth > table.parentElement.clientWidth + 1);
    });
    document.querySelectorAll(".list-scroll, .table-scroll, table.list:not(.cards)").forEach(function (box) {
      reachable(box, box.scrollWidth > box.clientWidth + 1);
    });
  };
  lay();
  window.addEventListener("resize", lay);
})();
