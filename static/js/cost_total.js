// The proposal form's cost total (progressive enhancement: without this script the server
// works the total out again when a line is added or the form is saved).
// Amounts are read as the server reads them (decide/web/forms.py, parse_pence): pounds with
// optional thousands commas and up to two decimals, summed in whole pence so that no float
// rounding shows. The total is written as ballots.wording.money writes pounds: "£1,234.50".
(function () {
  var POUNDS = /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$/;

  function pence(text) {
    var cleaned = text.trim().replace("£", "").trim().replace(/ /g, "");
    if (cleaned === "") {
      return 0;
    }
    var match = POUNDS.exec(cleaned);
    if (!match || match[1].length > 20) {
      return null;
    }
    var frac = (match[2] || "").padEnd(2, "0");
    return Number(match[1].replace(/,/g, "")) * 100 + Number(frac || "0");
  }

  function money(total) {
    var pounds = Math.floor(total / 100);
    var rest = String(total % 100).padStart(2, "0");
    return "£" + String(pounds).replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + rest;
  }

  function update(box) {
    var inputs = box.closest("form").querySelectorAll('input[name^="cost_lines-"][name$="-amount"]');
    var total = 0;
    var skipped = 0;
    inputs.forEach(function (input) {
      var value = pence(input.value);
      if (value === null) {
        skipped += 1;
      } else {
        total += value;
      }
    });
    box.querySelector("[data-cost-total-value]").textContent = money(total);
    box.querySelector("[data-cost-total-note]").textContent = skipped
      ? "(updated as you type; " + skipped + (skipped === 1 ? " amount is" : " amounts are") +
        " not in pounds and not counted)"
      : "(updated as you type)";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-cost-total]");
    if (!box) {
      return;
    }
    var form = box.closest("form");
    form.addEventListener("input", function (event) {
      if (/^cost_lines-\d+-amount$/.test(event.target.name || "")) {
        update(box);
      }
    });
    document.body.addEventListener("htmx:afterSwap", function () {
      update(box);
    });
    update(box);
  });
})();
