// Accord's only script besides htmx. Progressive enhancement: every page works without it.
(function () {
  "use strict";

  // Times: until the user chooses a zone in their profile, pages show instants in the browser's
  // own zone (next to UTC). Tell the server which one that is, in a cookie that later requests
  // carry (accord.accounts.zones); the server accepts only a known IANA name. Without this
  // script, pages show UTC alone.
  var ZONE_COOKIE = "accord_zone";
  function cookie(name) {
    var found = "";
    document.cookie.split(";").forEach(function (part) {
      var pair = part.trim().split("=");
      if (pair[0] === name) found = pair.slice(1).join("=");
    });
    return found;
  }
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && /^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone) && cookie(ZONE_COOKIE) !== zone) {
      document.cookie = ZONE_COOKIE + "=" + zone + "; path=/; max-age=31536000; samesite=lax" +
        (window.location.protocol === "https:" ? "; secure" : "");
    }
  } catch (error) {
    // No Intl support: pages keep showing UTC.
  }

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

  // "Add a product" on the answer form: without this script the button posts the form back and
  // the page returns with one more row. Here the row is copied in place from its <template>
  // (data-add-row), "__n__" becoming the row's index and "__number__" its number; the hidden
  // counter (data-count) says how many rows the form sends.
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("button[data-add-row]") : null;
    if (!button) return;
    var template = document.getElementById(button.getAttribute("data-add-row"));
    var rows = document.getElementById(button.getAttribute("data-rows"));
    var count = document.getElementById(button.getAttribute("data-count"));
    if (!template || !rows || !count || !("content" in template)) return;
    event.preventDefault();
    var index = parseInt(count.value, 10) || 0;
    var html = template.innerHTML.split("__n__").join(String(index)).split("__number__").join(String(index + 1));
    rows.insertAdjacentHTML("beforeend", html);
    count.value = String(index + 1);
    var added = rows.lastElementChild;
    if (added) showWhatGoes(added);
    var first = added && added.querySelector("input[type=text]");
    if (first) first.focus();
  });

  // The answer form shows only the fields that go with the answer chosen: a block with
  // data-when-name="<radio name>" and data-when-value="<values>" shows when that radio's checked
  // value is one of them. A hidden block's fields are disabled, so they are not sent either.
  function showWhatGoes(root) {
    root.querySelectorAll("[data-when-name]").forEach(function (block) {
      var form = block.closest("form");
      if (!form) return;
      var name = block.getAttribute("data-when-name");
      var chosen = null;
      form.querySelectorAll("input[type=radio]").forEach(function (radio) {
        if (radio.name === name && radio.checked) chosen = radio.value;
      });
      var show = (block.getAttribute("data-when-value") || "").split(" ").indexOf(chosen || "") !== -1;
      block.hidden = !show;
      block.querySelectorAll("input, select, textarea").forEach(function (field) {
        field.disabled = !show;
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    showWhatGoes(document);
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.type === "radio" && target.form) showWhatGoes(target.form);
  });
})();
