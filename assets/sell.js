// Sell: the keys an operator in a hurry presses. The page works without this file (plain forms and links;
// the server puts the cursor on each step with autofocus).
//  - A quantity field, or a field in error, selects what it holds when it takes focus, so what is typed
//    replaces it (typing 2 over a 1 gives 2, not 12; 50 over a refused 10 gives 50, not 1050).
//  - In a search box ([data-pick-first] names its results), Enter chooses the first result: the search is
//    sent with pick=<the box's name> and the server answers with the page of that result, so what is
//    chosen never depends on whether the list on screen has caught up with the typing. ArrowDown moves
//    into the list, ArrowUp and ArrowDown through it, ArrowUp from the first result back to the box.
//  - Answering the marketing question moves the cursor on: to the note for a yes, to the chosen payment
//    method's field for a no.
//  - A refused form (400 or 409) comes back as the page with its problems, and any other error as its
//    error page: htmx swaps it in like any other answer, so the operator always sees what happened.
(function () {
  "use strict";

  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (
      field instanceof HTMLInputElement &&
      (field.classList.contains("quantity") || field.getAttribute("aria-invalid") === "true")
    ) {
      field.select();
    }
  });

  function visible(element) {
    return element.getClientRects().length > 0;
  }

  function resultLinks(box) {
    var results = document.getElementById(box.dataset.pickFirst);
    return results ? Array.prototype.slice.call(results.querySelectorAll("a")) : [];
  }

  function pickFirst(box) {
    var form = box.form;
    var pick = form.querySelector("input[name=pick]");
    if (!pick) {
      pick = document.createElement("input");
      pick.type = "hidden";
      pick.name = "pick";
      form.appendChild(pick);
    }
    pick.value = box.name;
    form.requestSubmit();
  }

  var focusFirstResultOf = null;  // the results the cursor goes into once the search for them is back

  function enterResults(box) {
    var results = document.getElementById(box.dataset.pickFirst);
    if (results && results.dataset.query === box.value) {
      var links = resultLinks(box);
      if (links.length) links[0].focus();
    } else {
      focusFirstResultOf = box.dataset.pickFirst;
      htmx.trigger(box, "search");
    }
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (target instanceof HTMLInputElement && target.dataset.pickFirst) {
      if (event.key === "Enter") {
        event.preventDefault();
        pickFirst(target);
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        enterResults(target);
      }
      return;
    }
    var results = target instanceof HTMLAnchorElement && target.closest("[data-query]");
    if (!results || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) return;
    var box = document.querySelector("[data-pick-first='" + results.id + "']");
    if (!box) return;
    var links = resultLinks(box);
    var at = links.indexOf(target) + (event.key === "ArrowDown" ? 1 : -1);
    event.preventDefault();
    if (at < 0) box.focus();
    else if (at < links.length) links[at].focus();
  });

  // After the settle, not the swap: only then has htmx taken charge of the new links (Enter on one before
  // that would load a whole page).
  document.addEventListener("htmx:afterSettle", function (event) {
    if (focusFirstResultOf && event.target.id === focusFirstResultOf) {
      var link = event.target.querySelector("a");
      focusFirstResultOf = null;
      if (link) link.focus();
    }
  });

  document.addEventListener("change", function (event) {
    var answer = event.target;
    if (!(answer instanceof HTMLInputElement) || answer.name !== "marketing" || answer.type !== "radio") return;
    var next;
    if (answer.value === "yes") {
      next = answer.form.querySelector("[name=marketing_note]");
    } else {
      next = Array.prototype.filter.call(
        answer.form.querySelectorAll("[data-for-method] input"), visible
      )[0];
    }
    if (next) next.focus();
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var from = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (status >= 400 && from && from.closest("[data-sell]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
