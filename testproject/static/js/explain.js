// h2push test project: explains, once the page has loaded, how each of its
// resources arrived, from the browser's own Resource Timing and Navigation Timing
// entries. It fills the "About this page" section of the base template.
//
// Loaded from /demo/explain.js, outside STATIC_URL, so that h2push's discovery
// never hints it: the pages' Link headers, 103s and pushes stay what they were.
"use strict";

(() => {
  const SELF = "/demo/explain.js";

  // What each initiatorType says about why the browser made the request.
  const WHY = {
    "early-hints":
      "requested because of the 103 Early Hints response, while the server was still working on the page",
    link: "requested for a preload in the page's Link header or for a <link> element",
    push: "pushed by the server",
    script: "requested for a <script> element",
    css: "named by a stylesheet (a web font or an image)",
    img: "requested for an <img> element",
    fetch: "requested by a script with fetch()",
    xmlhttprequest: "requested by a script with XMLHttpRequest",
    other: "requested with no more specific initiator the browser could name",
  };

  function ms(value) {
    return `${Math.round(value)} ms`;
  }

  // When the page's own (final) response headers arrived. Where a 103 came first,
  // Chromium's responseStart is the 103's; finalResponseHeadersStart is the page's.
  function pageHeadersAt(navigation) {
    return navigation.finalResponseHeadersStart || navigation.responseStart;
  }

  function sizeSentence(entry) {
    const size = entry.transferSize;
    if (size === undefined) return "This browser does not report transfer sizes.";
    if (size > 0) return `${size} bytes came over the network (${entry.nextHopProtocol || "?"}).`;
    if (entry.initiatorType === "early-hints") {
      return "transferSize 0: the page used the copy the 103's preload had fetched.";
    }
    return "transferSize 0: nothing crossed the network, it came from the cache.";
  }

  function timingSentence(entry, navigation) {
    if (!navigation) return "";
    if (entry.initiatorType === "early-hints") {
      // Chromium times such an entry from when the page took the preloaded copy
      // over, well after the 103's request went out: its start would mislead.
      return "(Its times here start when the page took the preloaded copy over, not when it was requested.)";
    }
    const headers = pageHeadersAt(navigation);
    const when = entry.startTime < headers ? "before" : "after";
    return `Requested at ${ms(entry.startTime)}, ${when} the page's headers (${ms(headers)}).`;
  }

  function rowSentence(entry, navigation) {
    const path = new URL(entry.name).pathname;
    if (path === SELF) {
      return "This explanation's own script, loaded from outside STATIC_URL so h2push never hints it.";
    }
    const why = WHY[entry.initiatorType] || `initiatorType "${entry.initiatorType}"`;
    const first = `${why[0].toUpperCase()}${why.slice(1)}.`;
    return [first, timingSentence(entry, navigation), sizeSentence(entry)].join(" ").trim();
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
  }

  function fillTable(body, entries, navigation) {
    for (const entry of entries) {
      const row = document.createElement("tr");
      const url = new URL(entry.name);
      cell(row, url.origin === location.origin ? url.pathname : entry.name);
      cell(row, entry.initiatorType || "(none)");
      cell(row, entry.transferSize === undefined ? "?" : String(entry.transferSize));
      cell(row, rowSentence(entry, navigation));
      body.appendChild(row);
    }
  }

  function summary(navigation, entries) {
    if (!navigation) return "This browser gives no Navigation Timing entry for the page.";
    const protocol = `The page came over ${navigation.nextHopProtocol || "an unknown protocol"}.`;
    const interim = navigation.firstInterimResponseStart;
    if (interim === undefined) {
      return `${protocol} This browser does not say whether a 103 arrived (no firstInterimResponseStart).`;
    }
    if (interim === 0) {
      return (
        `${protocol} No 103 Early Hints response arrived. h2push sends one with the links it ` +
        "knows before the view runs: declared on the view (@push_static), or learned once " +
        "two of the route's pages agreed, so a page that only registers its assets in the " +
        "template is hinted from its third visit. Reload to see it."
      );
    }
    const hinted = entries.filter((entry) => entry.initiatorType === "early-hints").length;
    const lead = pageHeadersAt(navigation) - interim;
    return (
      `${protocol} A 103 Early Hints response arrived at ${ms(interim)}, ${ms(lead)} before ` +
      `the page's own headers; ${hinted} resource${hinted === 1 ? " was" : "s were"} ` +
      "requested because of it."
    );
  }

  function explain() {
    const table = document.getElementById("explain");
    const text = document.getElementById("explain-summary");
    if (!table || !text) return;
    const navigation = performance.getEntriesByType("navigation")[0];
    const entries = performance.getEntriesByType("resource");
    fillTable(table.tBodies[0], entries, navigation);
    text.textContent = summary(navigation, entries);
  }

  // After "load" every resource of the page has its entry; a turn later, its
  // responseEnd as well.
  if (document.readyState === "complete") {
    setTimeout(explain, 0);
  } else {
    window.addEventListener("load", () => setTimeout(explain, 0));
  }
})();
