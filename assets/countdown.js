// Live countdowns for holds: <time data-countdown="SECONDS_LEFT" datetime="ISO">12:34</time>.
//
// The server renders the clock time the hold lapses and the seconds left at rendering; this script turns
// the text into the time left ("4:59 left"), counted from the seconds the server gave, so a wrong clock on
// the device does not shorten or lengthen it. It fires, on the element:
//   countdown:warning  once, when data-countdown-warn seconds are left (if the attribute is set);
//   countdown:lapsed   once, at zero.
// The element is not a live region (a reader announcing every second is noise); pages announce the
// warning themselves. Re-run for swapped-in content: htmx:afterSwap calls it on the new content.
(function () {
  "use strict";

  function format(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = String(seconds % 60).padStart(2, "0");
    return minutes + ":" + rest + " left";
  }

  function start(element) {
    if (element.dataset.countdownStarted) return;
    element.dataset.countdownStarted = "1";
    var ends = performance.now() + Number(element.dataset.countdown) * 1000;
    var warnAt = element.dataset.countdownWarn ? Number(element.dataset.countdownWarn) : null;
    var warned = false;
    function tick() {
      if (!element.isConnected) return;
      var left = Math.max(0, Math.ceil((ends - performance.now()) / 1000));
      element.textContent = format(left);
      if (warnAt !== null && !warned && left <= warnAt && left > 0) {
        warned = true;
        element.dispatchEvent(new CustomEvent("countdown:warning", { bubbles: true }));
      }
      if (left === 0) {
        element.dispatchEvent(new CustomEvent("countdown:lapsed", { bubbles: true }));
        return;
      }
      setTimeout(tick, (ends - performance.now()) % 1000 || 1000);  // at the next whole second
    }
    tick();
  }

  function startAll(root) {
    root.querySelectorAll("[data-countdown]").forEach(start);
  }

  document.addEventListener("DOMContentLoaded", function () { startAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { startAll(event.target); });
})();
