// Progressive enhancement for forms (the pages work without it).
// When a form comes back with errors, move focus to the error summary so keyboard and
// screen-reader users start from the list of problems (GOV.UK error summary pattern).
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
});
