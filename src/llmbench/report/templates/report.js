(function () {
  "use strict";
  // The answers browser. Model text is only ever inserted with textContent (never innerHTML), and rows are
  // built lazily, PAGE at a time, from the one JSON blob of the page.
  var PAGE = 100;
  var KNOWN = [];  // the statuses llmbench knows, in badge order: from the data (llmbench.vocab)
  var node = document.getElementById("data");
  var count = document.getElementById("count");

  // Large reports carry their data gzip-compressed (base64); the browser unpacks it itself, offline.
  function load() {
    if (node.getAttribute("data-encoding") !== "gzip+base64") {
      return Promise.resolve().then(function () { return JSON.parse(node.textContent); });
    }
    if (typeof DecompressionStream === "undefined") {
      return Promise.reject(new Error("this browser has no DecompressionStream (needs Chrome 80, Firefox 113, " +
        "Safari 16.4 or later)"));
    }
    var binary = atob(node.textContent.trim());
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  count.textContent = "Loading the answers\u2026";
  load().then(main, function (error) {
    count.textContent = "The answers of this report could not be read: " + error.message;
  });

  function main(data) {
    KNOWN = data.known_statuses || [];
    function index(fields) {
      var out = {};
      for (var i = 0; i < fields.length; i++) { out[fields[i]] = i; }
      return out;
    }
    var P = index(data.prompt_fields), C = index(data.call_fields);
    var multiRun = data.runs.length > 1;
    var RUN_LABELS = data.runs.map(function (_, i) { return i < 26 ? String.fromCharCode(65 + i) : "R" + (i + 1); });

    var rows = data.prompts.map(function (p) { return { p: p, calls: [], targets: {} }; });
    data.calls.forEach(function (c) {
      var row = rows[c[C.prompt]];
      row.calls.push(c);
      row.targets[c[C.target]] = true;
    });
    if (multiRun) {  // the same prompt of each run next to each other
      rows.sort(function (a, b) {
        var sa = data.suites[a.p[P.suite]], sb = data.suites[b.p[P.suite]];
        if (sa !== sb) { return sa < sb ? -1 : 1; }
        if (a.p[P.prompt_id] !== b.p[P.prompt_id]) { return a.p[P.prompt_id] < b.p[P.prompt_id] ? -1 : 1; }
        return a.p[P.run] - b.p[P.run];
      });
    }

    function el(tag, cls, text) {
      var node = document.createElement(tag);
      if (cls) { node.className = cls; }
      if (text !== undefined && text !== null) { node.textContent = String(text); }
      return node;
    }
    function label(status) { return String(status).replace(/_/g, " "); }
    function statusClass(status) { return "s-" + (KNOWN.indexOf(status) >= 0 ? status : "other"); }
    function fmtNum(v, digits) {
      return v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
    }
    function fmtUsd(v) {
      if (v === 0) { return "$0"; }
      if (Math.abs(v) >= 0.995) { return "$" + fmtNum(v, 2); }
      var digits = Math.min(10, Math.max(2, 1 - Math.floor(Math.log10(Math.abs(v)))));
      return "$" + v.toFixed(digits);
    }
    function fmtSec(v) { return v < 1 ? Math.round(v * 1000) + " ms" : fmtNum(v, 2) + " s"; }

    // -- filters ---------------------------------------------------------------------------------------
    var F = {
      run: document.getElementById("f-run"),
      suite: document.getElementById("f-suite"),
      topic: document.getElementById("f-topic"),
      language: document.getElementById("f-language"),
      status: document.getElementById("f-status"),
      target: document.getElementById("f-target"),
      q: document.getElementById("f-q")
    };
    function fill(select, values, labels, compare) {
      var order = values.map(function (v, i) { return i; }).filter(function (i) { return values[i] !== ""; });
      if (compare) { order.sort(compare); }
      order.forEach(function (i) {
        var option = el("option", null, labels ? labels[i] : label(values[i]));
        option.value = String(i);
        select.appendChild(option);
      });
    }
    fill(F.run, data.runs, data.runs.map(function (r, i) { return RUN_LABELS[i] + ": " + r; }));
    fill(F.suite, data.suites, data.suites);
    fill(F.topic, data.topics, data.topics, function (a, b) { return data.topics[a] < data.topics[b] ? -1 : 1; });
    fill(F.language, data.languages, data.languages);
    fill(F.status, data.statuses, null, function (a, b) {
      var ka = KNOWN.indexOf(data.statuses[a]), kb = KNOWN.indexOf(data.statuses[b]);
      return (ka < 0 ? 99 : ka) - (kb < 0 ? 99 : kb);
    });
    fill(F.target, data.targets, data.targets);
    if (!multiRun) { F.run.parentNode.hidden = true; }
    function pick(select) { return select.value === "" ? -1 : Number(select.value); }
    function selectByText(select, table, text) {
      var i = text ? table.indexOf(text) : -1;
      select.value = i >= 0 ? String(i) : "";
    }

    var current = [], shown = 0, columns = [];
    var tbody = document.querySelector("#answers-table tbody");
    var thead = document.querySelector("#answers-table thead");
    var more = document.getElementById("more");

    // Free-text search: case-insensitive substring of the prompt, or of an answer, reasoning or error. The
    // lower-cased text is built once, on the first search, and kept.
    function promptText(row) {
      if (row.hay === undefined) {
        var p = row.p;
        row.hay = (p[P.prompt_id] + "\n" + p[P.text] + "\n" + (p[P.system] || "")).toLowerCase();
      }
      return row.hay;
    }
    function callText(c) {
      if (c.hay === undefined) {
        c.hay = ((c[C.answer] || "") + "\n" + (c[C.reasoning] || "") + "\n" + (c[C.error] || "")).toLowerCase();
      }
      return c.hay;
    }

    function apply() {
      var run = pick(F.run), suite = pick(F.suite), topic = pick(F.topic), lang = pick(F.language);
      var status = pick(F.status), target = pick(F.target), q = F.q.value.trim().toLowerCase();
      current = [];
      var calls = 0;
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i], p = row.p;
        if ((run >= 0 && p[P.run] !== run) || (suite >= 0 && p[P.suite] !== suite) ||
            (topic >= 0 && p[P.topic] !== topic) || (lang >= 0 && p[P.language] !== lang)) { continue; }
        var visible = row.calls.filter(function (c) { return target < 0 || c[C.target] === target; });
        if (!visible.length) { continue; }
        if (status >= 0 && !visible.some(function (c) { return c[C.status] === status; })) { continue; }
        if (q && promptText(row).indexOf(q) < 0 &&
            !visible.some(function (c) { return callText(c).indexOf(q) >= 0; })) { continue; }
        current.push(row);
        calls += visible.length;
      }
      columns = [];
      for (var t = 0; t < data.targets.length; t++) {
        if (target >= 0 && t !== target) { continue; }
        if (current.some(function (r) { return r.targets[t]; })) { columns.push(t); }
      }
      renderHead();
      tbody.textContent = "";
      shown = 0;
      renderMore();
      count.textContent = current.length === 0 ? "No prompt matches these filters." :
        fmtNum(current.length, 0) + " prompt" + (current.length === 1 ? "" : "s") + " \u00b7 " + fmtNum(calls, 0) +
        " answer" + (calls === 1 ? "" : "s") + " match (of " + fmtNum(data.calls.length, 0) + ")";
      updateCount();
    }

    function updateCount() {
      more.hidden = shown >= current.length;
      more.textContent = "show " + Math.min(PAGE, current.length - shown) + " more (" +
        fmtNum(shown, 0) + " of " + fmtNum(current.length, 0) + " shown)";
    }

    function renderHead() {
      thead.textContent = "";
      var tr = el("tr");
      tr.appendChild(el("th", "prompt-col", "prompt"));
      columns.forEach(function (t) { tr.appendChild(el("th", null, data.targets[t])); });
      thead.appendChild(tr);
    }

    function renderMore() {
      var end = Math.min(current.length, shown + PAGE);
      var frag = document.createDocumentFragment();
      for (var i = shown; i < end; i++) { frag.appendChild(renderRow(current[i])); }
      tbody.appendChild(frag);
      shown = end;
      updateCount();
    }

    function renderRow(row) {
      var p = row.p, tr = el("tr");
      var td = el("td", "prompt");
      var bits = [];
      if (multiRun) { bits.push("run " + RUN_LABELS[p[P.run]]); }
      bits.push(data.suites[p[P.suite]], p[P.prompt_id], data.languages[p[P.language]], data.topics[p[P.topic]],
        label(data.categories[p[P.category]]));
      td.appendChild(el("div", "pmeta", bits.filter(function (b) { return b; }).join(" \u00b7 ")));
      td.appendChild(el("div", "ptext", p[P.text]));
      if (p[P.system]) { td.appendChild(el("div", "psys", "system: " + p[P.system])); }
      tr.appendChild(td);
      columns.forEach(function (t) {
        var cell = el("td");
        var mine = row.calls.filter(function (c) { return c[C.target] === t; });
        if (!mine.length) { cell.appendChild(el("span", "empty-cell", "not asked")); }
        mine.forEach(function (c) { cell.appendChild(renderCall(c, mine.length > 1)); });
        tr.appendChild(cell);
      });
      return tr;
    }

    function evidenceValue(v) {
      if (v === null || v === undefined) { return "\u2013"; }
      if (typeof v === "boolean") { return v ? "yes" : "no"; }
      if (Array.isArray(v)) {
        return v.length ? v.map(function (x) { return typeof x === "object" ? JSON.stringify(x) : String(x); }).join(", ") : "none";
      }
      if (typeof v === "object") { return JSON.stringify(v); }
      return String(v);
    }

    function renderCall(c, showRepeat) {
      var box = el("div", "call");
      var head = el("div", "call-head");
      var status = data.statuses[c[C.status]];
      head.appendChild(el("span", "badge " + statusClass(status), label(status)));
      if (showRepeat) { head.appendChild(el("span", "stats", "repeat " + (c[C.repeat] + 1))); }
      var stats = [];
      if (c[C.completion_tokens] !== null) { stats.push(fmtNum(c[C.completion_tokens], 0) + " tok"); }
      if (c[C.latency_s] !== null) { stats.push(fmtSec(c[C.latency_s])); }
      if (c[C.tokens_per_s] !== null) { stats.push(fmtNum(c[C.tokens_per_s], 1) + " tok/s"); }
      if (c[C.cost_usd] !== null) { stats.push(fmtUsd(c[C.cost_usd])); }
      if (c[C.done_reason] && c[C.done_reason] !== "stop") { stats.push("done: " + c[C.done_reason]); }
      if (stats.length) { head.appendChild(el("span", "stats", stats.join(" \u00b7 "))); }
      box.appendChild(head);

      var ev = c[C.evidence];
      if (ev && typeof ev === "object") {
        var keys = Object.keys(ev);
        if (keys.length) {
          var dl = el("dl", "evidence");
          keys.forEach(function (k) {
            dl.appendChild(el("dt", null, label(k)));
            dl.appendChild(el("dd", null, evidenceValue(ev[k])));
          });
          box.appendChild(dl);
        }
      }
      if (c[C.error] !== null) {
        box.appendChild(el("div", "error-text", c[C.error]));
      } else if (c[C.answer] !== null) {
        box.appendChild(el("div", "answer", c[C.answer] === "" ? "(empty answer)" : c[C.answer]));
      }
      var reasoning = c[C.reasoning];
      if (reasoning === "") {
        var wrap = el("div", "no-reasoning");
        wrap.appendChild(el("span", "badge suppressed", "empty reasoning (suppressed)"));
        box.appendChild(wrap);
      } else if (reasoning !== null) {
        var details = el("details", "reasoning");
        var tokens = c[C.reasoning_tokens];
        var summary = "reasoning";
        if (tokens !== null) { summary += " \u00b7 " + (c[C.reasoning_estimated] ? "\u2248" : "") + fmtNum(tokens, 0) + " tokens"; }
        summary += " \u00b7 " + fmtNum(reasoning.length, 0) + " chars";
        details.appendChild(el("summary", null, summary));
        details.addEventListener("toggle", function () {
          if (details.open && details.childNodes.length === 1) {
            details.appendChild(el("div", "reasoning-text", reasoning));
          }
        });
        box.appendChild(details);
      }
      return box;
    }

    // -- wiring ----------------------------------------------------------------------------------------
    var timer = null;
    [F.run, F.suite, F.topic, F.language, F.status, F.target].forEach(function (s) { s.addEventListener("change", apply); });
    F.q.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(apply, data.calls.length > 2000 ? 250 : 80);
    });
    more.addEventListener("click", renderMore);
    document.getElementById("f-reset").addEventListener("click", function () {
      [F.run, F.suite, F.topic, F.language, F.status, F.target].forEach(function (s) { s.value = ""; });
      F.q.value = "";
      apply();
    });
    // A heatmap cell shows its answers: filter on its run, target, topic and language, and jump there.
    document.querySelectorAll("table.heat td[data-target]").forEach(function (td) {
      td.addEventListener("click", function () {
        F.run.value = multiRun ? String(data.runs.indexOf(td.getAttribute("data-run"))) : "";
        if (F.run.value === "-1") { F.run.value = ""; }
        selectByText(F.target, data.targets, td.getAttribute("data-target"));
        selectByText(F.topic, data.topics, td.getAttribute("data-topic") || "");
        selectByText(F.language, data.languages, td.getAttribute("data-language"));
        F.status.value = "";
        F.q.value = "";
        apply();
        document.getElementById("answers").scrollIntoView();
      });
    });
    apply();
    document.body.setAttribute("data-ready", "1");
  }
})();
