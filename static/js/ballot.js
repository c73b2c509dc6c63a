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
