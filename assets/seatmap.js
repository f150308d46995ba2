// The seat map (templates/storefront/_seat_picker.html): shows the SVG map instead of the list of tick
// boxes, and makes each seat on it tick its box. A click or Space chooses a seat; the arrow keys move
// to the nearest free seat that way; Shift with a click or Space chooses every free seat along the row
// from the last one chosen (a block at the counter). Zoom buttons scale the map on a phone. Ticking a
// box fires "change" on the form, which htmx answers with the chosen seats' prices. The page works
// without this file.
(function () {
  "use strict";

  function setUp(map) {
    var form = map.closest("form");
    var svg = map.querySelector("svg");
    var list = form.querySelector("[data-seat-list]");
    var seats = Array.prototype.slice.call(map.querySelectorAll("[data-seat]"));
    var last = null;
    map.hidden = false;
    // Where each seat is drawn and its row, read once: the drawing never moves.
    var place = new Map();
    seats.forEach(function (seat) {
      var box = seat.getBBox();
      place.set(seat, {
        x: box.x + box.width / 2,
        y: box.y + box.height / 2,
        row: seat.parentNode.getAttribute("data-row")
      });
    });
    if (list) list.hidden = true;
    Array.prototype.forEach.call(form.querySelectorAll("[data-without-script]"), function (element) {
      element.hidden = true;
    });

    function box(seat) {
      return form.querySelector('input[name="seat"][value="' + seat.getAttribute("data-seat") + '"]');
    }

    function mark(seat, on) {
      var input = box(seat);
      if (input) input.checked = on;
      seat.setAttribute("aria-checked", on ? "true" : "false");
      seat.classList.toggle("mine", on);
    }

    function pick(seat, block) {
      var on = seat.getAttribute("aria-checked") !== "true";
      var here = place.get(seat);
      if (block && last && last !== seat && place.get(last).row === here.row) {
        var low = Math.min(place.get(last).x, here.x), high = Math.max(place.get(last).x, here.x);
        seats.forEach(function (other) {
          var there = place.get(other);
          if (there.row === here.row && there.x >= low && there.x <= high) mark(other, true);
        });
      } else {
        mark(seat, on);
      }
      last = seat;
      form.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function focusSeat(seat) {
      seats.forEach(function (other) { other.setAttribute("tabindex", other === seat ? "0" : "-1"); });
      seat.focus();
    }

    function nearest(from, dx, dy) {
      var start = place.get(from);
      var best = null, bestScore = Infinity;
      seats.forEach(function (seat) {
        var sx = place.get(seat).x - start.x, sy = place.get(seat).y - start.y;
        var along = sx * dx + sy * dy;
        if (along <= 0) return;
        var across = Math.abs(dx ? sy : sx);
        var score = along + across * 4;
        if (score < bestScore) { best = seat; bestScore = score; }
      });
      return best;
    }

    var moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    svg.addEventListener("keydown", function (event) {
      var seat = event.target.closest("[data-seat]");
      if (!seat) return;
      if (moves[event.key]) {
        event.preventDefault();
        var next = nearest(seat, moves[event.key][0], moves[event.key][1]);
        if (next) focusSeat(next);
      } else if (event.key === " " || event.key === "Enter") {
        event.preventDefault();
        pick(seat, event.shiftKey);
      }
    });
    svg.addEventListener("click", function (event) {
      var seat = event.target.closest("[data-seat]");
      if (!seat) return;
      focusSeat(seat);
      pick(seat, event.shiftKey);
    });
    map.addEventListener("click", function (event) {
      var button = event.target.closest("[data-zoom]");
      if (!button) return;
      var factor = button.getAttribute("data-zoom") === "in" ? 1.25 : 0.8;
      svg.setAttribute("width", Math.round(+svg.getAttribute("width") * factor));
      svg.setAttribute("height", Math.round(+svg.getAttribute("height") * factor));
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-seat-map]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
