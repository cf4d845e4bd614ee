/*
 * Charts of the Peakdesk dashboard.
 *
 * A report page embeds its result as JSON (#report-chart-config); this file draws
 * it with Chart.js, one renderer per core report and a generic bar chart for any
 * other. Clicking a bar, cell or point opens the consultations behind it: the
 * server gives one drill-down link per row. Every few minutes the result region is
 * fetched again and redrawn without reloading the page. The comparison page fetches
 * the day distribution of its two periods from the report API.
 */
(function () {
  "use strict";

  const lang = document.documentElement.lang || "en";
  const formats = {
    integer: new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }),
    decimal: new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }),
    percent: new Intl.NumberFormat(lang, {
      style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1,
    }),
    // Changes carry their sign.
    change: new Intl.NumberFormat(lang, {
      minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: "exceptZero",
    }),
    changePercent: new Intl.NumberFormat(lang, {
      style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1,
      signDisplay: "exceptZero",
    }),
    axisPercent: new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 }),
    points: new Intl.NumberFormat(lang, {
      minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: "exceptZero",
    }),
  };
  const colours = {
    primary: "#417690",
    secondary: "#e0873a",
    tertiary: "#5b9a57",
    quaternary: "#9a5bb0",
    thin: "#b0b0b0",
    heatLow: [236, 243, 247],
    heatHigh: [12, 74, 110],
  };
  const series = [colours.primary, colours.secondary, colours.tertiary, colours.quaternary,
    "#c44e52", "#8c8c3a", "#3a8c8c", "#6b6b6b"];
  const charts = [];

  function cssVariable(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name);
    return value.trim() || fallback;
  }

  // Fill the canvas before drawing so that a downloaded PNG is not transparent.
  const opaqueBackground = {
    id: "opaqueBackground",
    beforeDraw(chart) {
      const context = chart.ctx;
      context.save();
      context.globalCompositeOperation = "destination-over";
      context.fillStyle = cssVariable("--body-bg", "#ffffff");
      context.fillRect(0, 0, chart.width, chart.height);
      context.restore();
    },
  };

  function setUpChartDefaults() {
    Chart.register(opaqueBackground);
    Chart.defaults.color = cssVariable("--body-fg", "#333333");
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.animation = false;
  }

  function format(value, kind) {
    if (value === null || value === undefined) {
      return "—";
    }
    // A share's change is written in percentage points.
    return kind === "points" ? formats.points.format(value * 100) : formats[kind].format(value);
  }

  /* Panels: a titled box with its canvas and a PNG download button. */

  function addPanel(container, title, fileName, strings) {
    const panel = document.createElement("section");
    panel.className = "chart-panel";
    const header = document.createElement("div");
    header.className = "chart-header";
    const heading = document.createElement("h2");
    heading.textContent = title;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button png-download";
    button.textContent = strings.png;
    header.append(heading, button);
    const frame = document.createElement("div");
    frame.className = "chart-frame";
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", title);
    canvas.dataset.chart = fileName;
    frame.append(canvas);
    panel.append(header, frame);
    container.append(panel);
    button.addEventListener("click", function () {
      downloadPng(canvas, fileName);
    });
    return { panel, canvas };
  }

  function downloadPng(canvas, fileName) {
    const link = document.createElement("a");
    link.href = canvas.toDataURL("image/png");
    link.download = fileName + ".png";
    document.body.append(link);
    link.click();
    link.remove();
  }

  function makeChart(canvas, config, urlOf) {
    config.options = config.options || {};
    if (urlOf) {
      config.options.onClick = function (event, elements) {
        if (!elements.length) {
          return;
        }
        const url = urlOf(elements[0].datasetIndex, elements[0].index);
        if (url) {
          window.location.assign(url);
        }
      };
      config.options.onHover = function (event, elements) {
        const active = elements.length && urlOf(elements[0].datasetIndex, elements[0].index);
        event.native.target.style.cursor = active ? "pointer" : "default";
      };
    }
    const chart = new Chart(canvas, config);
    charts.push(chart);
    return chart;
  }

  function percentAxis(title, position) {
    return {
      position: position || "right",
      beginAtZero: true,
      title: { display: true, text: title },
      ticks: { callback: (value) => formats.axisPercent.format(value) },
      grid: { drawOnChartArea: position === "left" },
    };
  }

  function countAxis(title) {
    return {
      position: "left",
      beginAtZero: true,
      title: { display: true, text: title },
      ticks: { callback: (value) => formats.decimal.format(value) },
    };
  }

  /* Renderers, one per core report. Each draws into `container` from `config`. */

  // Bars of one measure with a line of another, by slot of the day.
  function barsWithLine(container, config, bars, line, scales, tooltip) {
    const rows = config.rows;
    const { canvas } = addPanel(container, config.title, config.slug, config.strings);
    makeChart(canvas, {
      data: {
        labels: rows.map((row) => row.slot),
        datasets: [
          {
            type: "bar",
            label: config.labels[bars.key],
            data: rows.map((row) => row[bars.key]),
            backgroundColor: colours.primary,
            yAxisID: bars.axis,
            order: 2,
          },
          {
            type: "line",
            label: config.labels[line.key],
            data: rows.map((row) => row[line.key]),
            borderColor: colours.secondary,
            backgroundColor: colours.secondary,
            pointRadius: 2,
            stepped: line.stepped || false,
            yAxisID: line.axis,
            order: 1,
          },
        ],
      },
      options: {
        scales: { x: { title: { display: true, text: config.strings.slot } }, ...scales },
        plugins: { tooltip: { callbacks: tooltip || {} } },
      },
    }, (dataset, index) => config.urls[index]);
  }

  function renderDayDistribution(container, config) {
    const rows = config.rows;
    barsWithLine(container, config, { key: "count", axis: "y" }, { key: "share", axis: "share" },
      { y: countAxis(config.labels.count), share: percentAxis(config.labels.share) },
      {
        label: (item) =>
          item.dataset.label + ": " +
          format(item.raw, item.dataset.yAxisID === "share" ? "percent" : "integer"),
        afterBody: (items) =>
          config.labels.mean_per_day + ": " +
          format(rows[items[0].dataIndex].mean_per_day, "decimal"),
      });
  }

  function renderConcurrency(container, config) {
    barsWithLine(container, config, { key: "mean", axis: "y" },
      { key: "max", axis: "y", stepped: "middle" },
      { y: countAxis(config.strings.in_progress) });
  }

  function heatColour(fraction) {
    const mix = colours.heatLow.map((low, i) =>
      Math.round(low + (colours.heatHigh[i] - low) * fraction));
    return "rgb(" + mix.join(",") + ")";
  }

  function heatLegend(panel, maximum, title, strings) {
    const legend = document.createElement("div");
    legend.className = "heat-legend";
    legend.dataset.legend = "heatmap";
    const name = document.createElement("span");
    name.className = "heat-legend-title";
    name.textContent = title;
    const low = document.createElement("span");
    low.textContent = format(0, "decimal") + " (" + strings.legend_low + ")";
    const bar = document.createElement("span");
    bar.className = "heat-legend-bar";
    bar.style.background =
      "linear-gradient(to right, " + heatColour(0) + ", " + heatColour(1) + ")";
    const high = document.createElement("span");
    high.textContent = format(maximum, "decimal") + " (" + strings.legend_high + ")";
    legend.append(name, low, bar, high);
    panel.append(legend);
  }

  function renderWeekdayHour(container, config) {
    const strings = config.strings;
    const rows = config.rows;
    const weekdays = config.weekday_names;
    const slots = [...new Set(rows.map((row) => row.slot))];
    const measure = rows.length && "mean_per_day" in rows[0] ? "mean_per_day" : "count";
    const values = rows.map((row) => row[measure] || 0);
    const maximum = Math.max(0, ...values);
    const { panel, canvas } = addPanel(container, config.title, config.slug, strings);
    panel.classList.add("heatmap");
    makeChart(canvas, {
      type: "matrix",
      data: {
        datasets: [
          {
            label: config.labels[measure],
            data: rows.map((row, index) => ({
              x: row.slot,
              y: weekdays[row.weekday - 1],
              v: values[index],
              row: index,
            })),
            backgroundColor: (context) => {
              const point = context.raw;
              return heatColour(maximum && point ? point.v / maximum : 0);
            },
            borderColor: cssVariable("--body-bg", "#ffffff"),
            borderWidth: 1,
            width: ({ chart }) => (chart.chartArea || {}).width / slots.length,
            height: ({ chart }) => (chart.chartArea || {}).height / 7,
          },
        ],
      },
      options: {
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items) => items[0].raw.y + " " + items[0].raw.x,
              label: (item) => {
                const row = rows[item.raw.row];
                return [
                  config.labels.count + ": " + format(row.count, "integer"),
                  config.labels.mean_per_day + ": " + format(row.mean_per_day, "decimal"),
                  config.labels.share + ": " + format(row.share, "percent"),
                ];
              },
            },
          },
        },
        scales: {
          x: {
            type: "category",
            labels: slots,
            offset: true,
            grid: { display: false },
            title: { display: true, text: strings.slot },
          },
          y: {
            type: "category",
            labels: weekdays,
            reverse: false,
            offset: true,
            grid: { display: false },
            title: { display: true, text: strings.weekday },
          },
        },
      },
    }, (dataset, index) => config.urls[index]);
    heatLegend(panel, maximum, config.labels[measure], strings);
  }

  function renderTrend(container, config) {
    const strings = config.strings;
    const rows = config.rows;
    const periods = [...new Set(rows.map((row) => row.period))];
    const groups = new Map();
    rows.forEach((row, index) => {
      const key = "code" in row ? String(row.code) : "";
      if (!groups.has(key)) {
        groups.set(key, { label: "name" in row ? row.name : config.labels.count, rows: {} });
      }
      groups.get(key).rows[row.period] = index;
    });
    const datasets = [...groups.values()].map((group, i) => ({
      type: "line",
      label: group.label,
      data: periods.map((period) => {
        const index = group.rows[period];
        return index === undefined ? null : rows[index].count;
      }),
      rowIndex: periods.map((period) => group.rows[period]),
      borderColor: series[i % series.length],
      backgroundColor: series[i % series.length],
      pointRadius: 3,
      tension: 0.2,
    }));
    const { canvas } = addPanel(container, config.title, config.slug, strings);
    const chart = makeChart(canvas, {
      data: { labels: periods, datasets },
      options: {
        interaction: { mode: "nearest", intersect: true },
        scales: { y: countAxis(config.labels.count) },
        plugins: { legend: { display: datasets.length > 1 } },
      },
    }, (datasetIndex, index) => {
      const row = chart.data.datasets[datasetIndex].rowIndex[index];
      return row === undefined ? null : config.urls[row];
    });
  }

  function isThin(row, figure, config) {
    const base = (config.bases || {})[figure];
    return Boolean(base && row[base + "_thin"]);
  }

  // Points of thin figures are drawn hollow and grey, so they read as unreliable.
  function thinPoints(rows, figure, config, colour) {
    const thin = rows.map((row) => isThin(row, figure, config));
    return {
      pointStyle: thin.map((flag) => (flag ? "triangle" : "circle")),
      pointRadius: thin.map((flag) => (flag ? 5 : 3)),
      pointBorderColor: thin.map((flag) => (flag ? colours.thin : colour)),
      pointBackgroundColor: thin.map((flag) => (flag ? "#ffffff" : colour)),
      segment: {
        borderDash: (context) =>
          thin[context.p0DataIndex] || thin[context.p1DataIndex] ? [4, 4] : undefined,
      },
    };
  }

  function intervalDatasets(rows, figure, config, colour, axis) {
    const band = colour + "33";
    return [
      {
        type: "line",
        label: config.labels[figure + "_low"],
        data: rows.map((row) => row[figure + "_low"]),
        borderWidth: 0,
        pointRadius: 0,
        backgroundColor: band,
        fill: false,
        yAxisID: axis,
        band: true,
      },
      {
        type: "line",
        label: config.labels[figure + "_high"],
        data: rows.map((row) => row[figure + "_high"]),
        borderWidth: 0,
        pointRadius: 0,
        backgroundColor: band,
        fill: "-1",
        yAxisID: axis,
        band: true,
      },
      figureDataset(rows, figure, config, colour, axis),
    ];
  }

  function figureDataset(rows, figure, config, colour, axis) {
    return {
      type: "line",
      label: config.labels[figure],
      data: rows.map((row) => row[figure]),
      borderColor: colour,
      backgroundColor: colour,
      yAxisID: axis,
      spanGaps: false,
      ...thinPoints(rows, figure, config, colour),
    };
  }

  function qualityChart(container, config, title, fileName, datasets, scales) {
    const rows = config.rows;
    const { panel, canvas } = addPanel(container, title, fileName, config.strings);
    makeChart(canvas, {
      data: { labels: rows.map((row) => row.slot), datasets },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: { x: { title: { display: true, text: config.strings.slot } }, ...scales },
        plugins: {
          legend: { labels: { filter: (item, data) => !data.datasets[item.datasetIndex].band } },
          tooltip: {
            filter: (item) => !item.dataset.band,
            callbacks: {
              label: (item) => {
                const kind = item.dataset.yAxisID === "rate" ? "percent" : "decimal";
                const figure = item.dataset.figure;
                const thin = figure && isThin(rows[item.dataIndex], figure, config);
                return item.dataset.label + ": " + format(item.raw, kind) +
                  (thin ? " (" + config.strings.thin + ")" : "");
              },
            },
          },
        },
      },
    }, (dataset, index) => config.urls[index]);
    const note = document.createElement("p");
    note.className = "thin-note";
    note.textContent = config.strings.thin_note;
    panel.append(note);
  }

  function tagged(dataset, figure) {
    dataset.figure = figure;
    return dataset;
  }

  function renderQuality(container, config) {
    const strings = config.strings;
    const rateFigures = [
      ["conversion_rate", colours.primary],
      ["csat_share", colours.tertiary],
      ["abandonment_rate", colours.secondary],
    ];
    const rateSets = rateFigures.flatMap(([figure, colour]) => {
      const sets = intervalDatasets(config.rows, figure, config, colour, "rate");
      tagged(sets[2], figure);
      return sets;
    });
    qualityChart(container, config, strings.rates_title, config.slug + "-rates", rateSets, {
      rate: { ...percentAxis(strings.percent, "left"), max: 1 },
    });

    const satisfaction = [tagged(
      figureDataset(config.rows, "satisfaction_mean", config, colours.quaternary, "score"),
      "satisfaction_mean")];
    qualityChart(container, config, config.labels.satisfaction_mean,
      config.slug + "-satisfaction", satisfaction,
      { score: { position: "left", min: 1, max: 5, title: { display: true, text: "1–5" } } });

    const timeCharts = [
      ["first-response", strings.wait_title,
        [["first_response_median", colours.primary], ["first_response_p90", colours.secondary],
          ["wait_mean", colours.tertiary]]],
      ["duration", strings.duration_title,
        [["duration_median", colours.primary], ["duration_mean", colours.secondary]]],
    ];
    timeCharts.forEach(([name, title, figures]) => {
      const sets = figures.map(([figure, colour]) =>
        tagged(figureDataset(config.rows, figure, config, colour, "seconds"), figure));
      qualityChart(container, config, title, config.slug + "-" + name, sets, {
        seconds: countAxis(strings.seconds),
      });
    });
  }

  // Any other report: bars of its first measured column by its first key column.
  function renderGeneric(container, config) {
    const rows = config.rows;
    const keys = ["slot", "period", "date", "name", "code"];
    const labelKey = keys.find((key) => rows.length && key in rows[0]) || config.columns[0];
    const valueKey = config.columns.find((key) =>
      !keys.includes(key) && key !== "weekday" &&
      rows.some((row) => typeof row[key] === "number"));
    if (!valueKey) {
      return;
    }
    const { canvas } = addPanel(container, config.title, config.slug, config.strings);
    makeChart(canvas, {
      type: "bar",
      data: {
        labels: rows.map((row) => String(row[labelKey])),
        datasets: [{
          label: config.labels[valueKey] || valueKey,
          data: rows.map((row) => row[valueKey]),
          backgroundColor: colours.primary,
        }],
      },
      options: { scales: { y: { beginAtZero: true } } },
    }, (dataset, index) => config.urls[index]);
  }

  const renderers = {
    "day-distribution": renderDayDistribution,
    "weekday-hour": renderWeekdayHour,
    trend: renderTrend,
    concurrency: renderConcurrency,
    quality: renderQuality,
  };

  /* Report pages. */

  function destroyCharts() {
    while (charts.length) {
      charts.pop().destroy();
    }
  }

  function renderReport() {
    destroyCharts();
    const source = document.getElementById("report-chart-config");
    const container = document.querySelector("#report-result [data-charts]");
    if (!source || !container) {
      return;
    }
    const config = JSON.parse(source.textContent);
    (renderers[config.slug] || renderGeneric)(container, config);
  }

  async function refreshReport() {
    const region = document.getElementById("report-result");
    if (!region) {
      return false;
    }
    const url = new URL(window.location.href);
    url.searchParams.set("fragment", "1");
    const response = await fetch(url, { credentials: "same-origin" });
    // A redirect means the session ended: keep what is shown rather than a login form.
    if (!response.ok || response.redirected) {
      return false;
    }
    region.innerHTML = await response.text();
    renderReport();
    return true;
  }

  /* The comparison page. */

  async function fetchPeriod(config, from, to) {
    const query = new URLSearchParams();
    Object.entries(config.shared).forEach(([name, values]) =>
      values.forEach((value) => query.append(name, value)));
    query.set("from", from);
    query.set("to", to);
    const response = await fetch(config.api_url + "?" + query, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    const body = await response.json();
    if (!response.ok) {
      const reasons = Object.entries(body).map(([name, why]) =>
        name + ": " + [].concat(why).join(" "));
      throw new Error(reasons.join("; "));
    }
    return { body, query };
  }

  function periodInputs(key) {
    const form = document.querySelector("[data-filter-bar]");
    return { from: form.elements["from_" + key].value, to: form.elements["to_" + key].value };
  }

  function drillUrl(config, period, slot, slotMinutes) {
    const query = new URLSearchParams();
    query.set("local_from", period.from);
    query.set("local_to", period.to);
    Object.entries(config.shared).forEach(([name, values]) => {
      if (name === "tz") {
        query.set("tz", values[0]);
      } else if (name !== "slot") {
        values.forEach((value) => query.append(name, value));
      }
    });
    query.set("local_time", slot);
    query.set("local_minutes", String(slotMinutes));
    return config.changelist_url + "?" + query;
  }

  function changeRows(rowsA, rowsB) {
    return rowsA.map((rowA, index) => {
      const rowB = rowsB[index] || {};
      const meanA = rowA.mean_per_day;
      const meanB = rowB.mean_per_day;
      const known = meanA !== null && meanB !== null && meanB !== undefined;
      return {
        slot: rowA.slot,
        mean_a: meanA,
        mean_b: meanB,
        change: known ? meanB - meanA : null,
        change_relative: known && meanA ? (meanB - meanA) / meanA : null,
        share_a: rowA.share,
        share_b: rowB.share,
        share_change: (rowB.share || 0) - (rowA.share || 0),
      };
    });
  }

  const changeColumns = [
    ["slot", "slot", null],
    ["mean_a", "mean_per_day_a", "decimal"],
    ["mean_b", "mean_per_day_b", "decimal"],
    ["change", "change", "change"],
    ["change_relative", "change_relative", "changePercent"],
    ["share_a", "share_a", "percent"],
    ["share_b", "share_b", "percent"],
    ["share_change", "change_share", "points"],
  ];

  function fillChangeTable(table, rows, strings, urls) {
    const head = table.querySelector("thead tr");
    head.replaceChildren(...changeColumns.map(([key, label]) => {
      const cell = document.createElement("th");
      cell.scope = "col";
      cell.dataset.column = key;
      cell.textContent = strings[label];
      return cell;
    }));
    const body = table.querySelector("tbody");
    body.replaceChildren(...rows.map((row, index) => {
      const line = document.createElement("tr");
      changeColumns.forEach(([key, , kind]) => {
        const cell = document.createElement("td");
        if (kind) {
          cell.className = "numeric";
          cell.textContent = format(row[key], kind);
          if (key.startsWith("change") || key === "share_change") {
            cell.classList.add(row[key] > 0 ? "up" : row[key] < 0 ? "down" : "same");
          }
        } else {
          const link = document.createElement("a");
          link.href = urls[index];
          link.textContent = row[key];
          cell.append(link);
        }
        line.append(cell);
      });
      return line;
    }));
  }

  function csvText(rows) {
    const header = changeColumns.map(([key]) => key);
    const lines = rows.map((row) => header.map((key) =>
      row[key] === null || row[key] === undefined ? "" : String(row[key])).join(","));
    return "\ufeff" + [header.join(","), ...lines].join("\r\n") + "\r\n";
  }

  function downloadCsv(rows, fileName) {
    const blob = new Blob([csvText(rows)], { type: "text/csv;charset=utf-8" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = fileName;
    document.body.append(link);
    link.click();
    link.remove();
  }

  function showStatus(text) {
    const status = document.querySelector("[data-compare-status]");
    status.textContent = text || "";
    status.hidden = !text;
  }

  let comparisonRows = [];

  async function renderComparison() {
    const source = document.getElementById("compare-config");
    if (!source) {
      return;
    }
    const config = JSON.parse(source.textContent);
    const strings = config.strings;
    const periods = { a: periodInputs("a"), b: periodInputs("b") };
    let results;
    try {
      results = await Promise.all([
        fetchPeriod(config, periods.a.from, periods.a.to),
        fetchPeriod(config, periods.b.from, periods.b.to),
      ]);
    } catch (error) {
      destroyCharts();
      showStatus(strings.failed.replace("%(reason)s", error.message));
      document.querySelector("[data-compare-body]").hidden = true;
      return;
    }
    const [a, b] = results;
    document.querySelectorAll("[data-csv-period]").forEach((link) => {
      const query = new URLSearchParams((link.dataset.csvPeriod === "a" ? a : b).query);
      query.set("format", "csv");
      link.href = config.api_url + "?" + query;
    });

    destroyCharts();
    const container = document.querySelector("#compare-result [data-charts]");
    container.replaceChildren();
    const rowsA = a.body.rows;
    const rowsB = b.body.rows;
    comparisonRows = changeRows(rowsA, rowsB);
    const empty = !a.body.total && !b.body.total;
    showStatus(empty ? strings.empty : "");
    document.querySelector("[data-compare-body]").hidden = empty;
    const slotMinutes = a.body.parameters.slot;
    const urls = {
      a: rowsA.map((row) => drillUrl(config, periods.a, row.slot, slotMinutes)),
      b: rowsB.map((row) => drillUrl(config, periods.b, row.slot, slotMinutes)),
    };
    fillChangeTable(document.querySelector("[data-compare-table]"), comparisonRows,
      strings, urls.b);
    if (empty) {
      return;
    }
    const { canvas } = addPanel(container, strings.chart_title, "comparison", strings);
    makeChart(canvas, {
      type: "line",
      data: {
        labels: rowsA.map((row) => row.slot),
        datasets: [
          {
            label: strings.period_a + " (" + periods.a.from + " – " + periods.a.to + ")",
            data: rowsA.map((row) => row.mean_per_day),
            borderColor: colours.thin,
            backgroundColor: colours.thin,
            borderDash: [6, 4],
            pointRadius: 2,
          },
          {
            label: strings.period_b + " (" + periods.b.from + " – " + periods.b.to + ")",
            data: rowsB.map((row) => row.mean_per_day),
            borderColor: colours.primary,
            backgroundColor: colours.primary,
            pointRadius: 2,
          },
        ],
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { title: { display: true, text: strings.slot } },
          y: countAxis(strings.mean_per_day),
        },
      },
    }, (dataset, index) => (dataset === 0 ? urls.a : urls.b)[index]);
  }

  async function refreshComparison() {
    const region = document.querySelector("#compare-result [data-freshness]");
    const url = new URL(window.location.href);
    url.searchParams.set("fragment", "1");
    const response = await fetch(url, { credentials: "same-origin" });
    if (response.ok && !response.redirected) {
      region.outerHTML = await response.text();
    }
    await renderComparison();
    return true;
  }

  /* Page wiring. */

  function startAutoRefresh(root, refresh) {
    const seconds = Number(root.dataset.refreshSeconds) || 300;
    window.setInterval(() => {
      refresh().catch(() => undefined);
    }, seconds * 1000);
  }

  function wireForms() {
    document.querySelectorAll("[data-autosubmit]").forEach((select) => {
      select.addEventListener("change", () => select.form.submit());
    });
    // Leave empty fields out of the URL: an option left blank means its default.
    document.querySelectorAll("[data-filter-bar]").forEach((form) => {
      form.addEventListener("submit", () => {
        [...form.elements].forEach((field) => {
          if (field.name && !field.multiple && field.value === "") {
            field.disabled = true;
          }
        });
      });
    });
    // A page restored by the back button must come back editable.
    window.addEventListener("pageshow", () => {
      document.querySelectorAll("[data-filter-bar] [disabled]").forEach((field) => {
        field.disabled = false;
      });
    });
    const changesCsv = document.querySelector("[data-changes-csv]");
    if (changesCsv) {
      changesCsv.addEventListener("click", () =>
        downloadCsv(comparisonRows, "comparison-changes.csv"));
    }
  }

  function start() {
    wireForms();
    if (typeof Chart === "undefined") {
      return;
    }
    setUpChartDefaults();
    const reportPage = document.getElementById("report-page");
    const comparePage = document.getElementById("compare-page");
    if (reportPage) {
      renderReport();
      startAutoRefresh(reportPage, refreshReport);
      window.peakdesk = { refresh: refreshReport };
    } else if (comparePage) {
      renderComparison();
      startAutoRefresh(comparePage, refreshComparison);
      window.peakdesk = { refresh: refreshComparison };
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
