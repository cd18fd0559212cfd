// Accord's only script besides htmx. Progressive enhancement: every page works without it.
(function () {
  "use strict";

  // The account menu is a <details>: close it with Escape or a click elsewhere, as menus do.
  function openMenus() {
    return document.querySelectorAll("details.account[open]");
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    openMenus().forEach(function (menu) {
      var hadFocus = menu.contains(document.activeElement);
      menu.open = false;
      if (hadFocus) menu.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });

  // A table written without its .table-wrap gets one, as accord.css describes: it then scrolls
  // sideways inside itself on narrow screens, and the keyboard can scroll it (tabindex, named
  // by its caption). Without this script, accord.css makes such a table scroll by itself.
  var counter = 0;
  function wrapTables(root) {
    root.querySelectorAll("table").forEach(function (table) {
      var parent = table.parentElement;
      if (!parent || parent.classList.contains("table-wrap")) return;
      var wrap = document.createElement("div");
      wrap.className = "table-wrap";
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      var caption = table.querySelector("caption");
      if (caption) {
        if (!caption.id) caption.id = "table-caption-" + ++counter;
        wrap.setAttribute("aria-labelledby", caption.id);
      } else {
        wrap.setAttribute("aria-label", "Table");
      }
      parent.insertBefore(wrap, table);
      wrap.appendChild(table);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    wrapTables(document);
  });
  document.addEventListener("htmx:load", function (event) {
    if (event.target && event.target.querySelectorAll) wrapTables(event.target);
  });
})();
