/* Small enhancements on top of pages that work without JavaScript.
   Loaded as an external file so the pages can run under a Content-Security-Policy without
   'unsafe-inline'. Listeners are delegated from the document so they survive htmx swaps. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var narrow = window.matchMedia("(max-width: 50rem)");
  // The filters panel renders open (so it works without JavaScript); on a phone it folds
  // above the results unless the reader opened it, and that choice survives result swaps.
  var filtersOpenedByReader = false;

  function fitFilters(root) {
    var filters = (root || document).querySelector("details.filters");
    if (!filters) return;
    var wantOpen = !narrow.matches || filtersOpenedByReader;
    if (filters.open !== wantOpen) filters.open = wantOpen;
  }

  document.addEventListener("toggle", function (event) {
    var target = event.target;
    if (target.matches && target.matches("details.filters") && narrow.matches) {
      filtersOpenedByReader = target.open;
    }
  }, true);

  if (narrow.addEventListener) {
    narrow.addEventListener("change", function () { fitFilters(); });
  }

  function copyText(text, button) {
    var done = function () {
      var label = button.getAttribute("data-label") || button.textContent;
      button.setAttribute("data-label", label);
      button.textContent = "Copied";
      window.setTimeout(function () { button.textContent = label; }, 1600);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* the text stays selectable */ }
    document.body.removeChild(area);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    event.preventDefault();
    var what = button.getAttribute("data-copy");
    var text;
    if (what === "url") {
      text = window.location.href;
    } else {
      var source = document.getElementById(what);
      text = source ? source.textContent.trim() : "";
    }
    if (text) copyText(text, button);
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var results = document.getElementById("results");
    if (results && event.detail && event.detail.target === results) {
      results.setAttribute("aria-busy", "true");
    }
  });

  // A date input reports a change for every part typed (the year 2, 20, 201, 2017), and a
  // search then would replace the field mid-typing. While the field has the focus its change
  // is held back, and sent once the reader leaves the field; Enter submits the form as usual.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input.date-control")) return;
    if (document.activeElement === input && !input.hasAttribute("data-sending")) {
      event.stopPropagation();
      input.setAttribute("data-held", "");
    }
  }, true);

  document.addEventListener("focusout", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input.date-control[data-held]")) return;
    input.removeAttribute("data-held");
    input.setAttribute("data-sending", "");
    input.dispatchEvent(new Event("change", { bubbles: true }));
    input.removeAttribute("data-sending");
  });

  // "More filters" stays as the reader left it when the results (and it) are replaced.
  var moreFiltersOpen = null;
  document.addEventListener("toggle", function (event) {
    var target = event.target;
    if (target.id === "more-filters") moreFiltersOpen = target.open;
  }, true);

  function keepMoreFilters() {
    var more = document.getElementById("more-filters");
    if (more && moreFiltersOpen !== null && more.open !== moreFiltersOpen) {
      more.open = moreFiltersOpen;
    }
  }

  document.addEventListener("htmx:afterSettle", function () {
    var results = document.getElementById("results");
    if (results) results.removeAttribute("aria-busy");
    fitFilters();
    keepMoreFilters();
  });

  document.addEventListener("htmx:historyRestore", function () { fitFilters(); });

  document.addEventListener("htmx:responseError", function () {
    var results = document.getElementById("results");
    if (results) results.removeAttribute("aria-busy");
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { fitFilters(); });
  } else {
    fitFilters();
  }
})();
