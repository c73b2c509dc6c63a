// A link such as /rounds/7/board#tracker=7K2F-... carries the tracker in the fragment, which
// browsers never send to the server: fill the check form with it and drop it from the address.
(function () {
  var match = /^#tracker=([0-9A-Za-z-]{26,40})$/.exec(window.location.hash);
  var input = document.getElementById("receipt");
  if (!match || !input) return;
  input.value = match[1];
  history.replaceState(null, "", window.location.pathname + window.location.search);
})();
