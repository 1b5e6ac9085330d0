/* Small enhancements on top of pages that work without JavaScript.
   Loaded as an external file so the pages can run under a Content-Security-Policy without
   'unsafe-inline'. Listeners are delegated from the document so they survive htmx swaps. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var narrow = window.matchMedia("(max-width: 50rem)");
  // The filters panel is sent folded, and the stylesheet shows it on a wide screen anyway; here
  // it is opened there, so its state matches what is shown. On a phone it stays folded above
  // the results unless the reader opened it, and that choice survives result swaps.
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

  // The page's one polite live region (base.html), outside anything htmx swaps. The text is
  // cleared first and set a moment later so the same words said twice are still announced.
  function announce(message) {
    var region = document.getElementById("announcer");
    if (!region || !message) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = message; }, 50);
  }

  function copyText(text, button, message) {
    var done = function () {
      var label = button.getAttribute("data-label") || button.textContent;
      button.setAttribute("data-label", label);
      button.textContent = "Copied";
      announce(message);
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
    var text, message;
    if (what === "url") {
      text = window.location.href;
      message = "Link to this page copied";
    } else {
      var source = document.getElementById(what);
      text = source ? source.textContent.trim() : "";
      message = "Citation copied: " + text;
    }
    if (text) copyText(text, button, message);
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

  // History: a search made by typing replaces the entry that the typing started, so Back does
  // not walk through every pause ("physical", "physical th", ...); the first typed search after a
  // settled one, and every submit, facet, sort or page, is an entry of its own. A search that
  // lands on the address already shown (Enter after typing) replaces it too. htmx reads the
  // history update's type after this event, so changing it here is enough.
  var entryIsTyped = false;  // the current history entry was made by typing in the query box

  function isResultsRequest(detail) {
    return detail && detail.target && detail.target.id === "results";
  }

  function triggerOf(detail) {
    var config = detail.requestConfig || detail;
    return config.triggeringEvent ? config.triggeringEvent.type : "";
  }

  document.addEventListener("htmx:beforeHistoryUpdate", function (event) {
    var detail = event.detail;
    if (!isResultsRequest(detail) || !detail.history) return;
    var trigger = triggerOf(detail);
    var typed = trigger === "input";
    var here = window.location.pathname + window.location.search;
    if (detail.history.path === here || (entryIsTyped && (typed || trigger === "submit"))) {
      detail.history.type = "replace";
    }
    entryIsTyped = typed;
  });

  document.addEventListener("htmx:afterSwap", function () {
    // Before the first paint of the new results, so the filters never flash folded.
    fitFilters();
  });

  // The new count, said once through the live region and, on a phone when a filter changed the
  // results below the screen, shown where the reader is.
  function resultCount() {
    var total = document.querySelector("#results .results-total");
    if (total) return total.textContent.replace(/\s+/g, " ").trim();
    var empty = document.querySelector("#results .empty-state h2");
    return empty ? empty.textContent.replace(/\s+/g, " ").trim() : "";
  }

  var jump = document.getElementById("results-jump");

  function hideJump() { if (jump) jump.hidden = true; }

  function showJump(count) {
    var pane = document.getElementById("results-pane");
    if (!jump || !pane || !count) return;
    if (pane.getBoundingClientRect().top < window.innerHeight * 0.8) return;  // in view already
    jump.textContent = count + " \u2013 show the results";
    jump.hidden = false;
  }

  if (jump) {
    jump.addEventListener("click", function () {
      hideJump();
      var pane = document.getElementById("results-pane");
      if (pane) window.setTimeout(function () { pane.focus({ preventScroll: true }); }, 0);
    });
    window.addEventListener("scroll", function () {
      var pane = document.getElementById("results-pane");
      if (!jump.hidden && pane && pane.getBoundingClientRect().top < window.innerHeight * 0.8) {
        hideJump();
      }
    }, { passive: true });
  }

  document.addEventListener("htmx:beforeRequest", hideJump);

  document.addEventListener("htmx:afterSettle", function (event) {
    var results = document.getElementById("results");
    if (results) results.removeAttribute("aria-busy");
    fitFilters();
    keepMoreFilters();
    var detail = event.detail;
    if (!isResultsRequest(detail)) return;
    var count = resultCount();
    announce(count);
    var source = detail.requestConfig && detail.requestConfig.triggeringEvent;
    var control = source && source.target;
    if (narrow.matches && control && control.closest && control.closest("details.filters")) {
      showJump(count);
    }
  });

  document.addEventListener("htmx:historyRestore", function () {
    entryIsTyped = false;
    hideJump();
    fitFilters();
  });

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
