/* The console's behaviour: sortable and filterable tables, plots (uPlot), live progress.
   Loaded as a file (the Content-Security-Policy allows no inline script); reads its data
   from <script type="application/json"> blocks and data- attributes, and writes text
   only through textContent, so nothing from a result is ever parsed as HTML. */
(function () {
  "use strict";

  var COLOURS = {
    loudness: "#0a5ea8",
    band: "rgba(0, 140, 100, 0.16)",
    target: "#007a55",
    ceiling: "#c0392b",
    peak: "#8e44ad",
    bitRate: "#b35900",
    mean: "#555555",
    grid: "#e3e6ea",
    axis: "#333333"
  };

  /* ------------------------------------------------------------ tables */

  function cellValue(row, index, kind) {
    var cell = row.cells[index];
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent.trim();
    if (kind === "number") {
      var number = parseFloat(raw);
      return isNaN(number) ? null : number;
    }
    if (kind === "verdict") {
      var rank = { fail: 0, warn: 1, pass: 2 }[raw];
      return rank === undefined ? null : rank;
    }
    return raw === "" ? null : raw.toLowerCase();
  }

  function sortBy(table, header, ascending) {
    var index = Array.prototype.indexOf.call(header.parentNode.children, header);
    var kind = header.getAttribute("data-sort");
    table.querySelectorAll("th[aria-sort]").forEach(function (other) {
      other.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, kind);
      var y = cellValue(b, index, kind);
      if (x === null || y === null) {
        return x === y ? 0 : x === null ? 1 : -1; /* unknown last, either way */
      }
      var order = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    remember(table, { sort: index, ascending: ascending });
  }

  function filterRows(table) {
    var text = document.querySelector('input[data-filter-table="' + table.id + '"]');
    var selects = document.querySelectorAll('select[data-filter-table="' + table.id + '"]');
    var needle = text ? text.value.trim().toLowerCase() : "";
    var shown = 0;
    var rows = table.tBodies[0].rows;
    Array.prototype.forEach.call(rows, function (row) {
      var link = row.querySelector("a[title]");
      var haystack = (row.textContent + " " + (link ? link.getAttribute("title") : "")).toLowerCase();
      var visible = !needle || haystack.indexOf(needle) >= 0;
      selects.forEach(function (select) {
        var column = select.getAttribute("data-filter-column");
        if (select.value && row.getAttribute("data-" + column) !== select.value) {
          visible = false;
        }
      });
      row.hidden = !visible;
      if (visible) { shown += 1; }
    });
    var count = document.getElementById("row-count");
    if (count) { count.textContent = shown + " of " + rows.length + " files"; }
    var state = { text: needle };
    selects.forEach(function (select) { state[select.id] = select.value; });
    remember(table, state);
  }

  /* Sort and filters survive the reloads of a running batch's page. */
  function stateKey(table) { return "mp4a:" + location.pathname + "#" + table.id; }

  function remember(table, change) {
    try {
      var state = JSON.parse(sessionStorage.getItem(stateKey(table)) || "{}");
      Object.keys(change).forEach(function (key) { state[key] = change[key]; });
      sessionStorage.setItem(stateKey(table), JSON.stringify(state));
    } catch (error) { /* storage unavailable (a report opened from disk): no memory */ }
  }

  function recall(table) {
    try { return JSON.parse(sessionStorage.getItem(stateKey(table)) || "{}"); } catch (error) { return {}; }
  }

  function setUpTable(table) {
    var headers = table.querySelectorAll("th[data-sort]");
    headers.forEach(function (header) {
      var button = header.querySelector("button");
      button.addEventListener("click", function () {
        sortBy(table, header, header.getAttribute("aria-sort") !== "ascending");
      });
    });
    var inputs = document.querySelectorAll('[data-filter-table="' + table.id + '"]');
    inputs.forEach(function (input) {
      input.addEventListener(input.tagName === "SELECT" ? "change" : "input", function () {
        filterRows(table);
      });
    });
    var state = recall(table);
    inputs.forEach(function (input) {
      if (input.tagName === "SELECT" && state[input.id]) { input.value = state[input.id]; }
      if (input.tagName === "INPUT" && state.text) { input.value = state.text; }
    });
    if (inputs.length) { filterRows(table); }
    if (typeof state.sort === "number" && headers.length) {
      var header = table.tHead.rows[0].cells[state.sort];
      if (header && header.hasAttribute("data-sort")) { sortBy(table, header, state.ascending); }
    }
  }

  /* ------------------------------------------------------------- plots */

  function plotData(element) {
    var source = document.getElementById(element.getAttribute("data-source"));
    return source ? JSON.parse(source.textContent) : null;
  }

  function constant(length, value) {
    var values = new Array(length);
    for (var i = 0; i < length; i += 1) { values[i] = value; }
    return values;
  }

  function plotHeight() { return window.innerWidth < 600 ? 200 : 260; }

  function axes(yLabel) {
    var style = { stroke: COLOURS.axis, grid: { stroke: COLOURS.grid, width: 1 }, ticks: { stroke: COLOURS.grid } };
    return [
      Object.assign({ label: "seconds" }, style),
      Object.assign({ label: yLabel, size: 60 }, style)
    ];
  }

  function loudnessPlot(element, data) {
    var values = data.series;
    var n = values.length;
    var x = values.map(function (_, i) { return i + 1; });
    var series = [{ label: "time (s)" }, {
      label: "short-term (LUFS)", stroke: COLOURS.loudness, width: 2, spanGaps: false,
      points: { show: n <= 60, size: 4 }
    }];
    var columns = [x, values];
    var bands = [];
    var known = values.filter(function (v) { return v !== null; });
    var low = Math.min.apply(null, known.concat([-40]));
    var high = Math.max.apply(null, known.concat([-10]));
    if (data.target !== null) {
      columns.push(constant(n, data.target + data.tolerance), constant(n, data.target - data.tolerance),
        constant(n, data.target));
      series.push(
        { label: "band top", stroke: "transparent", points: { show: false } },
        { label: "band bottom", stroke: "transparent", points: { show: false } },
        { label: "target", stroke: COLOURS.target, width: 1.5, dash: [6, 4], points: { show: false } }
      );
      bands.push({ series: [2, 3], fill: COLOURS.band });
      low = Math.min(low, data.target - data.tolerance);
      high = Math.max(high, data.target + data.tolerance);
    }
    if (data.ceiling !== null) {
      columns.push(constant(n, data.ceiling));
      series.push({ label: "true-peak ceiling (dBTP)", stroke: COLOURS.ceiling, width: 2, dash: [2, 3], points: { show: false } });
      high = Math.max(high, data.ceiling);
    }
    if (data.true_peak !== null) {
      columns.push(constant(n, data.true_peak));
      series.push({ label: "true peak (dBTP)", stroke: COLOURS.peak, width: 1.5, dash: [10, 3, 2, 3], points: { show: false } });
      high = Math.max(high, data.true_peak);
    }
    var options = {
      width: element.clientWidth, height: plotHeight(), series: series, bands: bands,
      axes: axes("LUFS / dBTP"), legend: { show: false }, cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, y: { range: [Math.floor(low - 3), Math.ceil(high + 2)] } }
    };
    return new uPlot(options, columns, element);
  }

  function bitRatePlot(element, data) {
    var values = data.series.map(function (bits) { return bits / 1000; });
    var n = values.length;
    var x = values.map(function (_, i) { return i; });
    var columns = [x.concat([n]), values.concat([values[n - 1]])];
    var series = [{ label: "time (s)" }, {
      label: "video bit rate (kbit/s)", stroke: COLOURS.bitRate, width: 2, fill: "rgba(179, 89, 0, 0.12)",
      paths: uPlot.paths.stepped({ align: 1 }), points: { show: false }
    }];
    if (data.mean) {
      columns.push(constant(n + 1, data.mean / 1000));
      series.push({ label: "mean", stroke: COLOURS.mean, width: 1.5, dash: [6, 4], points: { show: false } });
    }
    var options = {
      width: element.clientWidth, height: plotHeight(), series: series, axes: axes("kbit/s"),
      legend: { show: false }, cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } } }
    };
    return new uPlot(options, columns, element);
  }

  var PLOTS = { loudness: loudnessPlot, bit_rate: bitRatePlot };

  function drawPlots() {
    if (typeof uPlot === "undefined") { return; }
    var drawn = [];
    document.querySelectorAll("[data-plot]").forEach(function (element) {
      var data = plotData(element);
      var kind = element.getAttribute("data-plot");
      if (!data || !data[kind] || !PLOTS[kind]) { return; }
      var plot = PLOTS[kind](element, data[kind]);
      element.setAttribute("data-points", String(data[kind].series.length));
      drawn.push({ element: element, plot: plot });
    });
    if (drawn.length && typeof ResizeObserver !== "undefined") {
      var observer = new ResizeObserver(function () {
        drawn.forEach(function (entry) {
          entry.plot.setSize({ width: entry.element.clientWidth, height: plotHeight() });
        });
      });
      drawn.forEach(function (entry) { observer.observe(entry.element); });
    }
  }

  /* -------------------------------------------------------------- live */

  var POLL_MS = 3000;

  function summaries(api, ids) {
    var url = api + "?ids=" + ids.map(encodeURIComponent).join(",");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) {
        if (!answer.ok) { throw new Error("HTTP " + answer.status); }
        return answer.json();
      });
  }

  function showSummary(container, summary) {
    ["total", "queued", "running", "completed", "failed"].forEach(function (field) {
      var cell = container.querySelector('[data-field="' + field + '"]');
      if (cell) { cell.textContent = String(summary[field]); }
    });
    var progress = container.querySelector('[data-field="progress"]');
    if (progress) {
      progress.max = summary.total;
      progress.value = summary.completed + summary.failed;
      progress.textContent = progress.value + " of " + summary.total;
    }
    var state = container.querySelector('[data-field="state"]');
    var done = summary.completed + summary.failed === summary.total;
    if (state) { state.textContent = done ? "done" : "running"; }
    container.setAttribute("data-done", done ? "true" : "false");
    return done;
  }

  function showVerdicts(cell, verdicts) {
    if (!cell || !verdicts) { return; }
    while (cell.firstChild) { cell.removeChild(cell.firstChild); }
    Object.keys(verdicts).forEach(function (verdict) {
      var badge = document.createElement("span");
      badge.className = "badge verdict-" + verdict.replace(/[^a-z]/g, "-");
      badge.textContent = verdict + " " + verdicts[verdict];
      cell.appendChild(badge);
      cell.appendChild(document.createTextNode(" "));
    });
  }

  function liveBatches(table) {
    var api = table.getAttribute("data-live-batches");
    function running() {
      return Array.prototype.filter.call(table.tBodies[0].rows, function (row) {
        return row.getAttribute("data-done") !== "true";
      });
    }
    function poll() {
      var rows = running();
      if (!rows.length) { return; }
      var ids = rows.map(function (row) { return row.getAttribute("data-batch-id"); });
      summaries(api, ids).then(function (answer) {
        answer.batches.forEach(function (batch) {
          rows.forEach(function (row) {
            if (row.getAttribute("data-batch-id") === batch.batch_id) {
              showSummary(row, batch.summary);
              showVerdicts(row.querySelector('[data-field="verdicts"]'), batch.verdicts);
            }
          });
        });
      }).catch(function () { /* the next poll tries again */ }).then(function () {
        if (running().length) { setTimeout(poll, POLL_MS); }
      });
    }
    setTimeout(poll, POLL_MS);
  }

  function liveBatch(section) {
    if (section.getAttribute("data-done") === "true") { return; }
    var api = section.getAttribute("data-api");
    var id = section.getAttribute("data-live-batch");
    var finished = parseInt(section.getAttribute("data-finished"), 10);
    function poll() {
      summaries(api, [id]).then(function (answer) {
        var batch = answer.batches[0];
        if (!batch) { return false; }
        var done = showSummary(section, batch.summary);
        /* New results: reload for their rows (sort and filters are remembered). */
        if (batch.summary.completed + batch.summary.failed !== finished) {
          location.reload();
          return true;
        }
        return done;
      }).catch(function () { return false; }).then(function (stop) {
        if (!stop) { setTimeout(poll, POLL_MS); }
      });
    }
    setTimeout(poll, POLL_MS);
  }

  /* -------------------------------------------------------------- start */

  document.querySelectorAll("table.sortable").forEach(setUpTable);
  drawPlots();
  document.querySelectorAll("[data-live-batches]").forEach(liveBatches);
  document.querySelectorAll("[data-live-batch]").forEach(liveBatch);
})();
