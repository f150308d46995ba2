// The checkout's clock (templates/storefront/_hold_clock.html), on top of countdown.js.
//
// Two minutes before the hold lapses the warning opens as a modal dialog: the browser moves focus into it
// (to its "more time" button), keeps it there, closes it on Escape and gives focus back where it was; a
// screen reader reads its title and text. When the time is up the dialog closes and the "choose again"
// notice is shown and focused. After htmx swaps the checkout in (more time, a basket change), focus goes
// to the page's new message. Without this script the page works as a plain form.
(function () {
  "use strict";

  function isClock(event) {
    return event.target.id === "hold-countdown";
  }

  document.addEventListener("countdown:warning", function (event) {
    var dialog = document.getElementById("hold-warning");
    if (!isClock(event) || !dialog) return;
    if (dialog.open) dialog.close();  // rendered open for readers without script
    dialog.showModal();
  });

  document.addEventListener("countdown:lapsed", function (event) {
    var dialog = document.getElementById("hold-warning");
    var lapsed = document.getElementById("hold-lapsed");
    if (!isClock(event) || !lapsed) return;
    if (dialog && dialog.open) dialog.close();
    lapsed.hidden = false;
    lapsed.focus();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-close-dialog]");
    if (button) button.closest("dialog").close();
  });

  function ready(root) {
    root.querySelectorAll("[data-close-dialog]").forEach(function (button) { button.hidden = false; });
  }

  document.addEventListener("DOMContentLoaded", function () { ready(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    ready(event.target);
    var notice = event.target.querySelector("#checkout-notice, .error-summary");
    if (notice) notice.focus();
  });
})();
