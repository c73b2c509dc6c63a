// The ballot page (progressive enhancement: the page works without it).
// Budget and points ballots keep their summary stuck to the bottom of the screen. So that the
// summary never hides the control that has keyboard focus (WCAG 2.2, "Focus not obscured"),
// the page's scroll padding follows the summary's real height as its content changes; the
// stylesheet falls back to a fixed allowance when this script does not run.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".summary-sticky");
  if (!summary || !window.ResizeObserver) {
    return;
  }
  var root = document.documentElement;
  new ResizeObserver(function () {
    root.style.setProperty("--sticky-summary-height", summary.offsetHeight + "px");
  }).observe(summary);
});

// Flag a field's own problem as the voter types, next to the field (the server says the same
// after "Check my choices"): points over the per-project cap on points ballots, and a rank
// given to more than one project on ranked ballots.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[hx-post]");
  if (!form) {
    return;
  }

  function flag(input, message) {
    var error = document.getElementById(input.id + "-error");
    var box = input.closest(".field");
    if (!error || !box) {
      return;
    }
    var about = (input.getAttribute("aria-describedby") || "")
      .split(" ")
      .filter(function (id) { return id && id !== error.id; });
    if (message) {
      error.textContent = "";
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = "Error:";
      error.appendChild(hidden);
      error.appendChild(document.createTextNode(" " + message));
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
      about.unshift(error.id);
    } else {
      error.hidden = true;
      error.textContent = "";
      input.removeAttribute("aria-invalid");
    }
    input.setAttribute("aria-describedby", about.join(" "));
    box.classList.toggle("field-invalid", Boolean(message));
  }

  function checkPoints() {
    form.querySelectorAll("[data-points-cap] input").forEach(function (input) {
      var cap = Number(input.closest("[data-points-cap]").getAttribute("data-points-cap"));
      var raw = input.value.trim();
      var message = "";
      if (raw !== "" && !/^-?\d+$/.test(raw)) {
        message = "Enter the points as a whole number, like 3.";
      } else if (raw !== "" && Number(raw) < 0) {
        message = "Points cannot be negative.";
      } else if (raw !== "" && Number(raw) > cap) {
        message = "One project can get at most " + cap + (cap === 1 ? " point" : " points") +
          "; this has " + Number(raw) + ".";
      }
      flag(input, message);
    });
  }

  function checkRanks() {
    var selects = Array.prototype.slice.call(form.querySelectorAll("[data-rank-field] select"));
    selects.forEach(function (select) {
      var others = selects.filter(function (other) {
        return other !== select && select.value !== "" && other.value === select.value;
      });
      var names = others.map(function (other) { return "“" + other.dataset.title + "”"; });
      flag(select, names.length
        ? "Rank " + select.value + " is also given to " + names.join(" and ") + ". Give each rank once."
        : "");
    });
  }

  form.addEventListener("input", checkPoints);
  form.addEventListener("change", function () {
    checkPoints();
    checkRanks();
  });
});
