// The static site's search page, certificate page, their scripts and the
// style sheet (vanilla JS, no server: data arrives as <script> files, which
// file:// allows where fetch() is refused, so a mirror works offline).
#pragma once

#include <string_view>

namespace certify::certdb {

// @TITLE@ and @COUNT@ are replaced when the page is written.
inline constexpr std::string_view k_index_template = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>@TITLE@</title><link rel="stylesheet" href="assets/style.css"></head>
<body>
<header><h1>@TITLE@</h1>
<p class="downloads">Downloads: <a href="list.json">list.json</a>, the signed index of the list
(<a href="list.json.sig">Ed25519 signature</a>, <a href="signing-key.pem">public key</a>): it names every block
of certificates with the SHA-256 of its records (<a href="list/00000.jsonl">list/NNNNN.jsonl</a>, JSON Lines) and
of its CSV export (<a href="csv/00000.csv">csv/NNNNN.csv</a>) &middot;
<a href="merkle/root.json">Merkle root</a> (<a href="merkle/root.json.sig">signature</a>)</p></header>
<main>
<form id="filters" autocomplete="off" onsubmit="return false">
<input id="q" name="q" type="search" placeholder="Search vendor, product, model, certificate&hellip;" size="32">
<select id="os" name="os"><option value="">any OS</option></select>
<input id="os_version" name="os_version" placeholder="OS version" size="8">
<label><input type="checkbox" id="os_like" name="os_like" value="1"> include derivative OSes (ID_LIKE, not tested)</label>
<select id="arch" name="arch"><option value="">any architecture</option></select>
<select id="class" name="class"><option value="">any class</option></select>
<select id="vendor" name="vendor"><option value="">any vendor</option></select>
<input id="model" name="model" placeholder="model" size="12">
<select id="status" name="status"><option value="">active and withdrawn</option><option value="active">active</option><option value="withdrawn">withdrawn</option></select>
<label>issued from <input type="date" id="issued_from" name="issued_from"></label>
<label>to <input type="date" id="issued_to" name="issued_to"></label>
<select id="sort" name="sort"><option value="-issued">newest first</option><option value="issued">oldest first</option><option value="vendor">vendor</option><option value="product">product</option><option value="id">certificate id</option></select>
</form>
<p class="status"><span id="count">0</span> of <span id="total">@COUNT@</span> certificates match<span id="loading"> (loading the list&hellip;)</span></p>
<table id="results"><thead><tr><th>Certificate</th><th>Vendor</th><th>Product</th><th>Operating systems</th><th>Arch</th><th>Classes</th><th>Issued</th><th>Status</th><th>Results</th></tr></thead><tbody></tbody></table>
<p><button id="more" type="button" hidden>Show more</button></p>
<noscript><p>The search needs JavaScript. The whole list is in the blocks named by <a href="list.json">list.json</a> (list/*.jsonl and csv/*.csv).</p></noscript>
<p class="legend"><span class="badge tested">tested</span> the OS the hardware was tested on &middot;
<span class="badge extension">extension</span> extended by a reviewer, with a recorded basis &middot;
<span class="badge derivative">derivative</span> related through os-release ID_LIKE, expected to carry over, not tested</p>
</main>
<script src="assets/app.js"></script>
<script src="search/manifest.js"></script>
</body></html>
)HTML";

inline constexpr std::string_view k_app_js = R"JS(// certify compatibility list: client-side filters and instant text search
// over the static index (search/*.js). The URL query string holds the
// filters, so a search can be linked and the page tested headless.
"use strict";
var certifySearch = (function () {
  var F = {id: 0, status: 1, vendor: 2, product: 3, model: 4, kind: 5, classes: 6, os: 7, osv: 8, osname: 9,
           arch: 10, issued: 11, pass: 12, fail: 13, skip: 14, xos: 15, like: 16, xprod: 17, reason: 18};
  var FIELDS = ["q", "os", "os_version", "os_like", "arch", "class", "vendor", "model", "status",
                "issued_from", "issued_to", "sort"];
  var PAGE = 200;
  var rows = [], text = [], models = [], expected = -1, loaded = 0, shown = PAGE, timer = null;

  function $(id) { return document.getElementById(id); }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  // Same as certificate_page() in certdb/publish.cpp.
  function pageOf(id) { return "cert.html?id=" + encodeURIComponent(id); }
  function words(s) { return s.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; }); }

  function readForm() {
    var f = {};
    FIELDS.forEach(function (k) {
      var el = $(k);
      f[k] = el.type === "checkbox" ? el.checked : el.value.trim();
    });
    return f;
  }
  function matches(i, f, qw, mw) {
    var r = rows[i];
    if (f.arch && r[F.arch] !== f.arch) return false;
    if (f.vendor && r[F.vendor].toLowerCase() !== f.vendor.toLowerCase()) return false;
    if (f["class"] && r[F.classes].indexOf(f["class"].toLowerCase()) < 0) return false;
    if (f.status && r[F.status] !== f.status) return false;
    if (f.issued_from && r[F.issued] < f.issued_from) return false;
    if (f.issued_to && r[F.issued] > f.issued_to) return false;
    if (f.os || f.os_version) {
      var os = f.os.toLowerCase();
      var ok = (!os || r[F.os] === os) && (!f.os_version || r[F.osv] === f.os_version);
      for (var x = 0; !ok && x < r[F.xos].length; x++)
        ok = (!os || r[F.xos][x][0] === os) && (!f.os_version || r[F.xos][x][1] === f.os_version);
      if (!ok && f.os_like && os && !f.os_version) ok = r[F.like].indexOf(os) >= 0;
      if (!ok) return false;
    }
    for (var a = 0; a < qw.length; a++) if (text[i].indexOf(qw[a]) < 0) return false;
    for (var b = 0; b < mw.length; b++) if (models[i].indexOf(mw[b]) < 0) return false;
    return true;
  }
  function compare(key) {
    var desc = key.charAt(0) === "-", k = desc ? key.slice(1) : key;
    var get = {issued: function (r) { return r[F.issued]; }, vendor: function (r) { return r[F.vendor] + "\u0000" + r[F.product]; },
               product: function (r) { return r[F.product] + "\u0000" + r[F.model]; }, id: function () { return ""; }}[k] ||
              function (r) { return r[F.issued]; };
    return function (a, b) {
      var x = get(rows[a]), y = get(rows[b]);
      var c = x < y ? -1 : x > y ? 1 : (rows[a][F.id] < rows[b][F.id] ? -1 : rows[a][F.id] > rows[b][F.id] ? 1 : 0);
      return desc ? -c : c;
    };
  }
  function osCell(r, f) {
    var out = '<span class="os-tested" title="tested">' + esc(r[F.osname] || r[F.os]) + " <code>" + esc(r[F.os] + " " + r[F.osv]) + "</code></span>";
    r[F.xos].forEach(function (x) {
      out += ' <span class="os-extended" title="extended by a reviewer">+ ' + esc(x[0] + " " + x[1]) + ' <span class="badge extension">extension</span></span>';
    });
    if (r[F.like].length)
      out += ' <span class="os-derivative" title="os-release ID_LIKE: expected to carry over, not tested">~ ' +
             esc(r[F.like].join(", ")) + ' <span class="badge derivative">derivative, not tested</span></span>';
    return out;
  }
  function rowHtml(r, f) {
    var w = r[F.status] === "withdrawn";
    var prod = esc(r[F.product]) + (r[F.model] ? " <small>" + esc(r[F.model]) + "</small>" : "");
    r[F.xprod].forEach(function (p) {
      prod += '<br><span class="ext-product">+ ' + esc(p[0] + (p[1] ? " " + p[1] : "")) + ' <span class="badge extension">extension</span></span>';
    });
    return '<tr class="' + (w ? "withdrawn" : "active") + '" data-id="' + esc(r[F.id]) + '"><td><a href="' + pageOf(r[F.id]) + '">' +
      esc(r[F.id]) + "</a></td><td>" + esc(r[F.vendor]) + "</td><td>" + prod + "</td><td>" + osCell(r, f) + "</td><td>" +
      esc(r[F.arch]) + "</td><td>" + esc(r[F.classes].join(", ")) + "</td><td>" + esc(r[F.issued]) + "</td><td>" +
      (w ? '<span class="badge withdrawn">withdrawn</span> <span class="reason">' + esc(r[F.reason]) + "</span>"
         : '<span class="badge active">active</span>') +
      '</td><td class="results">' + r[F.pass] + " pass, " + r[F.fail] + " fail, " + r[F.skip] + " skip</td></tr>";
  }
  function render() {
    var f = readForm(), qw = words(f.q), mw = words(f.model), hits = [];
    for (var i = 0; i < rows.length; i++) if (matches(i, f, qw, mw)) hits.push(i);
    hits.sort(compare(f.sort || "-issued"));
    var html = [];
    for (var j = 0; j < hits.length && j < shown; j++) html.push(rowHtml(rows[hits[j]], f));
    document.querySelector("#results tbody").innerHTML = html.join("");
    $("count").textContent = String(hits.length);
    $("more").hidden = hits.length <= shown;
    var qs = new URLSearchParams();
    FIELDS.forEach(function (k) {
      if (k === "os_like") { if (f[k]) qs.set(k, "1"); } else if (f[k] && !(k === "sort" && f[k] === "-issued")) qs.set(k, f[k]);
    });
    try { history.replaceState(null, "", "?" + qs.toString()); } catch (e) { /* file:// may refuse */ }
  }
  function schedule() {
    shown = PAGE;
    clearTimeout(timer);
    timer = setTimeout(render, rows.length > 100000 ? 120 : 0);
  }
  function fillSelect(id, values) {
    var el = $(id);
    values.forEach(function (v) {
      var o = document.createElement("option");
      o.value = v; o.textContent = v; el.appendChild(o);
    });
  }
  function applyUrl() {
    var qs = new URLSearchParams(location.search);
    FIELDS.forEach(function (k) {
      if (!qs.has(k)) return;
      var el = $(k), v = qs.get(k);
      if (el.type === "checkbox") { el.checked = v === "1" || v === "true"; return; }
      if (el.tagName === "SELECT" && !Array.prototype.some.call(el.options, function (o) { return o.value === v; })) {
        var o = document.createElement("option"); o.value = v; o.textContent = v; el.appendChild(o);
      }
      el.value = v;
    });
  }
  function manifest(m) {
    fillSelect("os", m.os); fillSelect("arch", m.arch); fillSelect("class", m["class"]); fillSelect("vendor", m.vendor);
    applyUrl();
    expected = m.shards.length;
    FIELDS.forEach(function (k) { var el = $(k); el.addEventListener(el.tagName === "SELECT" || el.type === "checkbox" ? "change" : "input", schedule); });
    $("more").addEventListener("click", function () { shown += PAGE; render(); });
    if (expected === 0) done();
    m.shards.forEach(function (s) {
      var el = document.createElement("script");
      el.src = s.file + (location.protocol === "file:" ? "" : "?v=" + s.v);
      el.onerror = function () { $("loading").textContent = " (could not load " + s.file + ")"; };
      document.body.appendChild(el);
    });
  }
  function done() {
    $("loading").hidden = true;
    document.body.setAttribute("data-ready", "1");
    render();
  }
  function shard(n, data) {
    data.forEach(function (r) {
      rows.push(r);
      text.push([r[F.id], r[F.status], r[F.vendor], r[F.product], r[F.model], r[F.kind], r[F.classes].join(" "), r[F.os],
                 r[F.osv], r[F.osname], r[F.arch], r[F.issued]].concat(r[F.xos].map(function (x) { return x.join(" "); }),
                 r[F.xprod].map(function (p) { return p.join(" "); })).join(" ").toLowerCase());
      models.push([r[F.product], r[F.model]].concat(r[F.xprod].map(function (p) { return p.join("\t"); })).join("\t").toLowerCase());
    });
    loaded++;
    if (loaded === expected) done(); else if (loaded % 10 === 0) render();
  }
  return {manifest: manifest, shard: shard};
})();
)JS";

// The certificate page: cert.html?id=ID. @TITLE@ is replaced when written.
inline constexpr std::string_view k_cert_page_template = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Certificate &mdash; @TITLE@</title><link rel="stylesheet" href="assets/style.css"></head>
<body>
<header><a href="index.html">&larr; @TITLE@</a></header>
<main class="certificate" id="certificate"><p id="loading">Loading the certificate&hellip;</p></main>
<noscript><p>This page shows a certificate with JavaScript. Every record is in the blocks named by
<a href="list.json">list.json</a> (list/*.jsonl, one record a line).</p></noscript>
<script src="assets/cert.js"></script>
<script src="search/manifest.js"></script>
</body></html>
)HTML";

// Renders one certificate: search/manifest.js names each block's first id,
// the block's cert/NNNNN.js holds its records (the signed lines of
// list/NNNNN.jsonl). Element ids are what the browser tests assert.
inline constexpr std::string_view k_cert_js = R"JS(// certify compatibility list: one certificate's page, rendered from its record.
"use strict";
var certifySearch, certifyCert;
(function () {
  var qs = new URLSearchParams(location.search);
  var id = qs.get("id") || decodeURIComponent(location.hash.slice(1));
  var main = document.getElementById("certificate"), block = -1;

  function esc(s) {
    return String(s === undefined || s === null ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function obj(v) { return v && typeof v === "object" && !Array.isArray(v) ? v : {}; }
  function arr(v) { return Array.isArray(v) ? v : []; }
  function str(v) { return typeof v === "string" ? v : ""; }
  function num(v) { return typeof v === "number" ? v : 0; }
  function finish() { document.body.setAttribute("data-ready", "1"); }
  function fail(msg) {
    main.innerHTML = '<p id="error" class="error">' + esc(msg) + "</p>";
    finish();
  }
  function pad(n) { var s = String(n); while (s.length < 5) s = "0" + s; return s; }

  function render(r) {
    var os = obj(r.os), w = obj(r.withdrawn), withdrawn = r.status === "withdrawn", h = [];
    var ext = arr(r.extensions), tests = arr(r.tests);
    document.title = r.id + " \u2014 " + str(r.vendor) + " " + str(r.product);
    h.push('<h1><span id="vendor">' + esc(r.vendor) + '</span> <span id="product">' + esc(r.product) + "</span>" +
           (str(r.model) ? ' <small id="model">' + esc(r.model) + "</small>" : "") + "</h1>");
    if (withdrawn)
      h.push('<div class="withdrawn-banner" id="withdrawn"><strong>Withdrawn</strong> on ' + esc(w.date) +
             (str(w.by) ? " by " + esc(w.by) : "") + ': <span id="withdrawn-reason">' + esc(w.reason) +
             "</span>. This certificate no longer vouches for the product; it stays listed so that earlier " +
             "references can be checked.</div>");
    h.push('<dl class="facts"><dt>Certificate</dt><dd id="cert-id">' + esc(r.id) + '</dd><dt>Status</dt><dd id="status">' +
           (withdrawn ? '<span class="badge withdrawn">withdrawn</span>' : '<span class="badge active">active</span>') +
           '</dd><dt>Kind</dt><dd id="kind">' + esc(r.kind) + '</dd><dt>Architecture</dt><dd id="arch">' + esc(r.arch) +
           '</dd><dt>Issued</dt><dd id="issued">' + esc(r.issued) + "</dd></dl>");

    // Operating systems: tested, extended by a reviewer, derivative (ID_LIKE).
    h.push('<h2>Operating systems</h2><ul class="oslist" id="oslist"><li class="os-tested"><span class="badge tested">tested</span> ' +
           esc(os.name) + " <code>" + esc(os.id) + " " + esc(os.version_id) + "</code></li>");
    ext.forEach(function (x) {
      x = obj(x);
      if (x.kind !== "os") return;
      var xo = obj(x.os);
      h.push('<li class="os-extended"><span class="badge extension">extension</span> <code>' + esc(xo.id) + " " +
             esc(xo.version_id) + "</code> \u2014 basis: " + esc(x.basis) + ' <span class="by">(' + esc(x.by) + ", " +
             esc(x.date) + ")</span></li>");
    });
    arr(os.id_like).forEach(function (l) {
      h.push('<li class="os-derivative"><span class="badge derivative">derivative, not tested</span> <code>' +
             esc(str(l).toLowerCase()) + "</code> \u2014 related through os-release ID_LIKE; expected to carry over, not certified</li>");
    });
    h.push("</ul>");

    // Tested classes with per-class results, then the summary.
    var per = {};
    arr(r.classes).forEach(function (c) { per[str(c).toLowerCase()] = per[str(c).toLowerCase()] || [0, 0, 0]; });
    tests.forEach(function (t) {
      t = obj(t);
      var c = str(t["class"]), k = per[c] || (per[c] = [0, 0, 0]);
      k[t.status === "pass" ? 0 : t.status === "skip" ? 2 : 1]++;
    });
    h.push('<h2>Tested classes</h2><table id="classes"><thead><tr><th>Class</th><th>Pass</th><th>Fail</th><th>Skip</th></tr></thead><tbody>');
    Object.keys(per).sort().forEach(function (c) {
      if (c) h.push("<tr><td>" + esc(c) + "</td><td>" + per[c][0] + "</td><td>" + per[c][1] + "</td><td>" + per[c][2] + "</td></tr>");
    });
    h.push("</tbody></table>");
    var s = obj(r.summary);
    h.push('<p id="summary" class="summary">Results: <span class="pass">' + num(s.pass) + ' passed</span>, <span class="fail">' +
           num(s.fail) + ' failed</span>, <span class="skip">' + num(s.skip) + " skipped</span></p>");

    var prods = ext.filter(function (x) { return obj(x).kind === "product"; });
    if (prods.length) {
      h.push('<h2>Extended to</h2><p>Products certified by extension, on the basis a reviewer recorded (not tested themselves):</p>' +
             '<table id="extensions"><thead><tr><th></th><th>Product</th><th>Model</th><th>Basis</th><th>By</th><th>Date</th></tr></thead><tbody>');
      prods.forEach(function (x) {
        h.push('<tr class="extension"><td><span class="badge extension">extension</span></td><td>' + esc(x.product) + "</td><td>" +
               esc(x.model) + "</td><td>" + esc(x.basis) + "</td><td>" + esc(x.by) + "</td><td>" + esc(x.date) + "</td></tr>");
      });
      h.push("</tbody></table>");
    }
    var hw = r.hardware;
    if (hw && typeof hw === "object" && !Array.isArray(hw)) {
      h.push("<h2>Hardware</h2>");
      var sys = hw.system;
      if (sys && typeof sys === "object" && !Array.isArray(sys))
        h.push('<p id="system">System: ' + esc(sys.vendor) + " " + esc(sys.product) + ", board " + esc(sys.board) + "</p>");
      var devs = arr(hw.devices);
      if (devs.length) {
        h.push('<table id="devices"><thead><tr><th>Class</th><th>Device</th><th>IDs</th><th>Driver</th></tr></thead><tbody>');
        devs.forEach(function (d) {
          if (!d || typeof d !== "object") return;
          h.push("<tr><td>" + esc(d["class"]) + "</td><td>" + esc(d.vendor) + " " + esc(d.name) + "</td><td><code>" +
                 esc(d.vendor_id) + ":" + esc(d.device_id) + " " + esc(d.subsystem_vendor_id) + ":" + esc(d.subsystem_device_id) +
                 "</code></td><td>" + esc(d.driver) + "</td></tr>");
        });
        h.push("</tbody></table>");
      }
    }
    if (tests.length) {
      h.push('<h2>Tests</h2><table id="tests"><thead><tr><th>Test</th><th>Class</th><th>Result</th></tr></thead><tbody>');
      tests.forEach(function (t) {
        t = obj(t);
        h.push("<tr><td><code>" + esc(t.id) + "</code></td><td>" + esc(t["class"]) + '</td><td class="' + esc(t.status) + '">' +
               esc(t.status) + "</td></tr>");
      });
      h.push("</tbody></table>");
    }
    var file = "list/" + pad(block) + ".jsonl";
    h.push('<p class="links">The signed record is a line of <a id="block" href="' + file + '">' + file +
           '</a>, a block of the <a href="list.json">signed list</a> (<code>certdb verify-published</code> proves it is included).</p>');
    main.innerHTML = h.join("\n");
    finish();
  }

  certifySearch = {manifest: function (m) {
    if (!id) return fail("No certificate named: the page is cert.html?id=CERTIFICATE-ID");
    // The last block whose first id is at or before `id` (ids are ASCII: JavaScript compares them as bytes).
    var lo = 0, hi = m.shards.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (m.shards[mid].first <= id) lo = mid + 1; else hi = mid; }
    if (lo === 0) return fail("Certificate " + id + " is not in this list.");
    block = lo - 1;
    var s = m.shards[block], el = document.createElement("script");
    el.src = s.cert + (location.protocol === "file:" ? "" : "?v=" + s.v);
    el.onerror = function () { fail("Could not load " + s.cert + "."); };
    document.body.appendChild(el);
  }};
  certifyCert = {block: function (k, records) {
    if (k !== block) return;
    for (var i = 0; i < records.length; i++) if (records[i] && records[i].id === id) return render(records[i]);
    fail("Certificate " + id + " is not in this list.");
  }};
})();
)JS";

inline constexpr std::string_view k_style_css = R"CSS(body { font-family: system-ui, sans-serif; margin: 0 1.5rem 2rem; color: #1b1f24; }
header h1 { margin: 1rem 0 0.3rem; font-size: 1.6rem; }
form#filters { display: flex; flex-wrap: wrap; gap: 0.4rem 0.8rem; align-items: center; margin: 0.8rem 0; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid #d8dee4; vertical-align: top; }
th { background: #f3f5f7; }
tr.withdrawn td { color: #6e7781; text-decoration: none; background: #fff5f5; }
.badge { display: inline-block; padding: 0 0.4em; border-radius: 0.6em; font-size: 0.75rem; border: 1px solid; }
.badge.active, .badge.tested { color: #116329; border-color: #4ac26b; background: #dafbe1; }
.badge.withdrawn { color: #82071e; border-color: #ff8182; background: #ffebe9; }
.badge.extension { color: #0a3069; border-color: #54aeff; background: #ddf4ff; }
.badge.derivative { color: #6f4c00; border-color: #d4a72c; background: #fff8c5; font-style: italic; }
.os-derivative { font-style: italic; color: #57606a; }
.withdrawn-banner { border: 2px solid #cf222e; background: #ffebe9; padding: 0.6rem 0.8rem; margin: 0.8rem 0; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
dl.facts dt { font-weight: 600; }
.summary .fail { color: #cf222e; }
td.fail, td.error, td.timeout { color: #cf222e; font-weight: 600; }
.legend { font-size: 0.85rem; color: #57606a; }
.error { color: #cf222e; font-weight: 600; }
)CSS";

}  // namespace certify::certdb
