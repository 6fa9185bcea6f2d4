// h2push field report: when the page is hidden or left, tell the server what the
// browser needed first (the Largest Contentful Paint's resource) and which of the
// page's hints it used. Sends nothing else: no cookies (sendBeacon sends the site's
// own, which h2push ignores), no identifiers, no other origins' URLs.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !("sendBeacon" in navigator) || !window.PerformanceObserver) return;
  var config;
  try {
    config = JSON.parse(script.getAttribute("data-h2push-field") || "");
  } catch (e) {
    return;
  }
  var lcp = null;
  try {
    new PerformanceObserver(function (list) {
      var entries = list.getEntries();
      if (entries.length) lcp = entries[entries.length - 1];
    }).observe({ type: "largest-contentful-paint", buffered: true });
  } catch (e) {
    // No LCP in this browser: the report says so with lcp null.
  }

  // Only this site's URLs are reported, site-relative when on the page's origin.
  function siteUrl(url) {
    if (!url) return null;
    var absolute;
    try {
      absolute = new URL(url, document.baseURI);
    } catch (e) {
      return null;
    }
    if (absolute.origin === location.origin) return absolute.pathname + absolute.search;
    var allowed = config.o || [];
    return allowed.indexOf(absolute.origin) >= 0 ? absolute.href : null;
  }

  function lcpElement() {
    if (!lcp) return null;
    var element = lcp.element;
    var isImage = !!element && element.tagName === "IMG";
    // An <img> is named by its src attribute, not by the candidate this screen's
    // density chose, so visitors on every screen name the same element.
    var url = siteUrl(isImage ? element.getAttribute("src") : lcp.url);
    if (!url) return null;
    return {
      url: url,
      img: isImage,
      srcset: isImage ? resolvedSrcset(element.getAttribute("srcset")) : null,
      sizes: isImage ? element.getAttribute("sizes") || null : null,
    };
  }

  // Each srcset candidate's URL resolved as the report needs it; any candidate of
  // another origin drops the srcset (the report would be refused whole).
  function resolvedSrcset(srcset) {
    if (!srcset) return null;
    var parts = srcset.split(/\s*,\s*/);
    var resolved = [];
    for (var i = 0; i < parts.length; i++) {
      var words = parts[i].trim().split(/\s+/);
      var url = siteUrl(words[0]);
      if (!url) return null;
      resolved.push(words.length > 1 ? url + " " + words[1] : url);
    }
    return resolved.join(", ") || null;
  }

  function referenced(url) {
    var absolute = new URL(url, document.baseURI).href;
    var elements = document.querySelectorAll("link[href],script[src],img[src]");
    for (var i = 0; i < elements.length; i++) {
      var element = elements[i];
      if ((element.href || element.src) === absolute) return true;
    }
    return false;
  }

  function fontUsed(url) {
    // A font is used when a loaded face's rule names it. A stylesheet of another
    // origin hides its rules: unsure counts as used, so a hint is never dropped on
    // a guess.
    var absolute = new URL(url, document.baseURI).href;
    var sheets = document.styleSheets;
    for (var i = 0; i < sheets.length; i++) {
      var rules;
      try {
        rules = sheets[i].cssRules;
      } catch (e) {
        return true;
      }
      var base = sheets[i].href || document.baseURI;
      for (var j = 0; j < rules.length; j++) {
        var rule = rules[j];
        if (rule.type === 5 && namesFont(rule, base, absolute)) {
          var family = rule.style.getPropertyValue("font-family").replace(/["']/g, "");
          var used = false;
          document.fonts.forEach(function (face) {
            if (face.status === "loaded" && face.family.replace(/["']/g, "") === family) used = true;
          });
          if (used) return true;
        }
      }
    }
    return false;
  }

  // Whether an @font-face rule's src names the font: its url()s are kept as the
  // stylesheet wrote them, relative to the stylesheet.
  function namesFont(rule, base, absolute) {
    var src = rule.style.getPropertyValue("src");
    var pattern = /url\(\s*(['"]?)([^'")]+)\1\s*\)/g;
    var match;
    while ((match = pattern.exec(src)) !== null) {
      try {
        if (new URL(match[2], base).href === absolute) return true;
      } catch (e) {
        // A url() that does not parse names nothing.
      }
    }
    return false;
  }

  function hintUse(url) {
    var absolute = new URL(url, document.baseURI).href;
    var entries = performance.getEntriesByName(absolute, "resource");
    var entry = entries.length ? entries[0] : null;
    var isFont = /\.(woff2?|ttf|otf)(\?|$)/.test(url);
    return {
      url: url,
      used: isFont ? fontUsed(url) : referenced(url),
      initiator: entry ? entry.initiatorType : "",
      end: entry ? Math.round(entry.responseEnd) : null,
    };
  }

  function report() {
    var navigation = performance.getEntriesByType("navigation")[0] || {};
    var paint = performance.getEntriesByName("first-contentful-paint")[0];
    var body = {
      v: 1,
      route: config.r,
      fp: config.fp,
      token: config.t,
      vw: Math.max(1, Math.min(20000, Math.round(window.innerWidth || 1))),
      lcp: lcpElement(),
      lcpMs: lcp ? Math.round(lcp.startTime) : null,
      fcpMs: paint ? Math.round(paint.startTime) : null,
      interim: (navigation.firstInterimResponseStart || 0) > 0,
      imgs: config.i || [],
      hints: (config.h || []).map(hintUse),
    };
    navigator.sendBeacon(config.u, JSON.stringify(body));
  }

  var sent = false;
  function once() {
    if (sent) return;
    sent = true;
    try {
      report();
    } catch (e) {
      // A report is never worth an error on the page.
    }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") once();
  });
  window.addEventListener("pagehide", once);
})();
