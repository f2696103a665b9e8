// Repeating rows of a form (e.g. invoices): "增加一行" copies the last row with blank inputs, "删除" removes a
// row, and the rows' field names are kept numbered 0, 1, 2, … (invoices.0.amount, invoices.1.amount).
// A field whose schema names a sum (x-sum-of, e.g. the claim's total of the invoices' amounts) is summed as the
// rows are typed, in whole fen so that 0.1 + 0.2 is 0.30.
var AMOUNT = /^[0-9]+(\.[0-9]{1,2})?$/;

function renumber(set) {
  var key = set.dataset.rows;
  set.querySelectorAll(":scope > .row").forEach(function (row, index) {
    var was = row.dataset.row;
    row.dataset.row = String(index);
    row.querySelectorAll("input, select, textarea").forEach(function (input) {
      input.name = input.name.replace(key + "." + was + ".", key + "." + index + ".");
    });
    row.querySelectorAll(".field-error").forEach(function (error) {
      error.dataset.field = error.dataset.field.replace(key + "." + was, key + "." + index);
    });
  });
}

function blank(row) {
  row.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
  row.querySelectorAll("input, select, textarea").forEach(function (input) {
    input.value = "";
    input.removeAttribute("aria-invalid");
  });
  row.querySelectorAll(".invalid").forEach(function (label) { label.classList.remove("invalid"); });
}

function fen(text) {
  var value = text.trim();
  if (!AMOUNT.test(value)) { return null; }
  var parts = value.split(".");
  return Number(parts[0]) * 100 + Number(((parts[1] || "") + "00").slice(0, 2));
}

function yuan(cents) {
  return Math.floor(cents / 100) + "." + String(cents % 100).padStart(2, "0");
}

function sumInto(total) {
  var path = total.dataset.sumOf;
  var cut = path.lastIndexOf(".");
  var rowsKey = path.slice(0, cut);
  var field = path.slice(cut + 1);
  var set = document.querySelector("fieldset.rows[data-rows='" + rowsKey + "']");
  var shown = document.getElementById(total.dataset.sumOutput);
  if (!set) { return; }
  var sum = 0, typed = 0, unreadable = 0;
  set.querySelectorAll(":scope > .row").forEach(function (row) {
    var input = row.querySelector("[name='" + rowsKey + "." + row.dataset.row + "." + field + "']");
    if (!input || input.value.trim() === "") { return; }
    var cents = fen(input.value);
    if (cents === null) { unreadable += 1; } else { sum += cents; typed += 1; }
  });
  if (unreadable) {
    shown.textContent = "有 " + unreadable + " 张发票金额格式不正确，暂无法合计";
  } else if (typed) {
    total.value = yuan(sum);
    shown.textContent = "已按 " + typed + " 张发票自动合计：" + yuan(sum) + " 元";
  } else {
    shown.textContent = "";
  }
}

var totals = Array.prototype.slice.call(document.querySelectorAll("input[data-sum-of]"));
function sumAll() { totals.forEach(sumInto); }

document.querySelectorAll("fieldset.rows").forEach(function (set) {
  set.querySelector(".add-row").addEventListener("click", function () {
    var rows = set.querySelectorAll(":scope > .row");
    var copy = rows[rows.length - 1].cloneNode(true);
    blank(copy);
    rows[rows.length - 1].after(copy);
    renumber(set);
    var first = copy.querySelector("input, select, textarea");
    if (first) { first.focus(); }
  });
  set.addEventListener("click", function (event) {
    var button = event.target.closest(".remove-row");
    if (!button) { return; }
    var row = button.closest(".row");
    if (set.querySelectorAll(":scope > .row").length > 1) {
      row.remove();
      renumber(set);
    } else {
      blank(row);
    }
    set.querySelector(".add-row").focus();
    sumAll();
  });
  set.addEventListener("input", sumAll);
});
sumAll();
