// The staff menu: one group open at a time, closed by Escape or a click elsewhere, and on small screens
// folded behind a Menu button. Without this file every group is a plain disclosure and the menu is
// always shown.
(function () {
  "use strict";

  var nav = document.getElementById("staff-nav");
  var toggle = document.querySelector(".menu-toggle");
  if (!nav) {
    return;
  }
  var groups = Array.prototype.slice.call(nav.querySelectorAll("details.menu-group"));

  function closeGroups(except) {
    groups.forEach(function (group) {
      if (group !== except) {
        group.open = false;
      }
    });
  }

  groups.forEach(function (group) {
    group.addEventListener("toggle", function () {
      if (group.open) {
        closeGroups(group);
      }
    });
  });
  document.addEventListener("click", function (event) {
    if (!nav.contains(event.target) && !(toggle && toggle.contains(event.target))) {
      closeGroups(null);
    }
  });
  document.addEventListener("keydown", function (event) {
    var open = groups.filter(function (group) { return group.open; })[0];
    if (event.key === "Escape" && open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });

  if (toggle) {
    document.documentElement.classList.add("menu-folds");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var expanded = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(expanded));
      nav.classList.toggle("unfolded", expanded);
      if (expanded) {
        groups.forEach(function (group) {
          group.open = group.hasAttribute("data-current");
        });
      }
    });
  }
})();
