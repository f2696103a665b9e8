// Repeating rows of a form (e.g. invoices): "增加一行" copies the last row with blank inputs and
// renumbers its field names (invoices.0.amount -> invoices.1.amount).
document.querySelectorAll("fieldset.rows").forEach(function (set) {
  var key = set.dataset.rows;
  set.querySelector(".add-row").addEventListener("click", function () {
    var rows = set.querySelectorAll(".row");
    var last = rows[rows.length - 1];
    var next = Number(last.dataset.row) + 1;
    var copy = last.cloneNode(true);
    copy.dataset.row = String(next);
    copy.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
    copy.querySelectorAll("input, select, textarea").forEach(function (input) {
      input.name = input.name.replace(key + "." + last.dataset.row + ".", key + "." + next + ".");
      input.value = "";
      input.removeAttribute("aria-invalid");
    });
    last.after(copy);
  });
});
