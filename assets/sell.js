// Sell: a quantity field selects what it holds when it takes focus, so the number typed replaces it
// (typing 2 over a 1 gives 2, not 12). The page works without this file.
(function () {
  "use strict";

  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (field instanceof HTMLInputElement && field.classList.contains("quantity")) {
      field.select();
    }
  });
})();
