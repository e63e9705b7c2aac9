// The run page's panels (DOM only; the maths is in timeline.js, servicemap.js, metrics.js):
// the trace waterfall with segment details, the service map, the uPlot charts, the summary.

import cytoscape from "../vendor/cytoscape/cytoscape.esm.min.mjs";
import uPlot from "../vendor/uplot/uPlot.esm.js";

import { COLOURS, histogramBars } from "./servicemap.js";
import { accountingRows, accountingSentence, componentTables } from "./summary.js";
import { ticks, waterfall } from "./timeline.js";
import { formatDuration } from "./traces.js";

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") element.className = value;
    else if (key === "style") element.style.cssText = value;
    else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) element.append(child);
  return element;
}

// --- Timeline -------------------------------------------------------------------------------------

// Stays and flights say what happened in their labels (stays.js): no kind word beside them.
const KIND_TEXT = { wait: "", flight: "", hop: "", call: "call", init: "cold start", sub: "" };
let selectedKey = null;

export function renderTimeline(container, details, segments, { now = null, keepDetails = false } = {}) {
  const layout = waterfall(segments, { now });
  const duration = layout.durationMs || 1;
  const pct = (ms) => `${Math.max(0, Math.min(100, (ms / duration) * 100)).toFixed(3)}%`;
  const axis = h("div", { class: "tl-axis" },
    h("div", { class: "tl-label" }, "Segment"),
    h("div", { class: "tl-scale" }, ticks(duration, 4).map((t) => h("span", { class: "tl-tick", style: `left:${pct(t)}` }, tickText(t, duration)))));
  const rows = layout.rows.map((row) => {
    const width = Math.max(0.25, ((row.endMs - row.startMs) / duration) * 100);
    const bar = h("div", {
      class: `tl-bar kind-${row.kind} status-${row.status}${row.open ? " open" : ""}`,
      style: `left:${pct(row.startMs)};width:${Math.min(width, 100 - (row.startMs / duration) * 100).toFixed(3)}%`,
      title: `${formatDuration(row.endMs - row.startMs)}${row.open ? " so far" : ""}`,
    });
    const label = h("div", { class: "tl-label", style: `padding-left:${0.5 + row.depth * 1.1}rem`,
      title: row.story.length ? row.story.join(" ") : undefined },
      h("span", { class: `tl-name status-${row.status}` }, row.label),
      row.attempt ? h("span", { class: "tl-attempt" }, row.attempt) : null,
      KIND_TEXT[row.kind] ? h("span", { class: "tl-kind" }, KIND_TEXT[row.kind]) : null);
    const element = h("div", {
      class: `tl-row${row.key === selectedKey ? " selected" : ""}`, role: "treeitem", tabindex: "0",
      "data-key": row.key, "data-kind": row.kind, "data-status": row.status, "aria-level": String(row.depth + 1),
      onclick: () => select(row, element),
      onkeydown: (event) => { if (event.key === "Enter") select(row, element); },
    }, label, h("div", { class: "tl-track" }, bar,
      h("span", { class: "tl-duration", style: `left:${pct(row.endMs)}` }, row.open ? "open" : formatDuration(row.endMs - row.startMs))));
    return element;
  });
  container.replaceChildren(axis, ...rows);

  function select(row, element) {
    selectedKey = row.key;
    for (const other of container.querySelectorAll(".tl-row.selected")) other.classList.remove("selected");
    element.classList.add("selected");
    renderDetails(details, row, layout);
  }
  const keep = keepDetails && layout.rows.find((row) => row.key === selectedKey);
  if (keep) return;
  // By default the first failure (the "why"), else the first row.
  const first = layout.rows.find((row) => row.status !== "ok") || layout.rows[0];
  if (first) select(first, rows[layout.rows.indexOf(first)]);
  else details.replaceChildren(h("p", { class: "muted" }, "No segments."));
}

function tickText(ms, duration) {
  if (duration >= 2000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms * 10) / 10} ms`;
}

function renderDetails(details, row, layout) {
  const item = row.item;
  const segment = row.segment;
  const facts = [
    ["Component", row.name],
    ["Type", segment.origin || ""],
    ["Start", `+${formatDuration(row.startMs)} (t = ${(layout.start + row.startMs / 1000).toFixed(3)} s)`],
    ["Duration", row.open ? `open (${formatDuration(row.endMs - row.startMs)} so far)` : formatDuration(row.endMs - row.startMs)],
    ["Status", row.status === "ok" ? "ok" : { error: "error (4xx)", fault: "fault (5xx)", throttle: "throttled (429)" }[row.status]],
  ];
  // A flight is no document of its own: its row points at the stay it followed.
  const own = row.kind !== "flight";
  if (own && item.http?.response?.status) facts.push(["HTTP status", String(item.http.response.status)]);
  if (own && item.aws?.operation) facts.push(["Operation", item.aws.operation]);
  const sections = [h("h3", {}, row.label, row.attempt ? ` · ${row.attempt}` : "")];
  if (row.story.length) sections.push(h("h4", {}, "What happened"), h("ul", { class: "story" }, row.story.map((line) => h("li", {}, line))));
  sections.push(definitionList(facts));
  const cause = own ? item.cause?.exceptions || [] : [];
  if (cause.length) {
    sections.push(h("h4", {}, "Cause"), h("ul", { class: "cause" }, cause.map((exception) =>
      h("li", {}, h("strong", {}, exception.type || "Error"), `: ${exception.message || ""}`, exception.remote ? " (remote)" : ""))));
  }
  if (row.kind === "hop" || row.kind === "wait") {
    const annotations = Object.entries(segment.annotations || {});
    if (annotations.length) sections.push(h("h4", {}, "Annotations"), definitionList(annotations.map(([k, v]) => [k, String(v)])));
    if (segment.metadata) sections.push(h("h4", {}, "Metadata"), h("pre", { class: "json" }, JSON.stringify(segment.metadata, null, 2)));
    if (segment.aws) sections.push(h("h4", {}, "AWS"), h("pre", { class: "json" }, JSON.stringify(segment.aws, null, 2)));
  }
  if (!layout.rows.length) sections.push(h("p", { class: "muted" }, "No segments."));
  details.replaceChildren(...sections);
}

function definitionList(pairs) {
  return h("dl", { class: "facts" }, pairs.flatMap(([key, value]) => [h("dt", {}, key), h("dd", {}, value)]));
}

// --- Service map ----------------------------------------------------------------------------------

let mapCy = null;
let mapNodes = "";

export function renderServiceMap(container, details, graph) {
  if (!graph.nodes.length) {
    container.replaceChildren(h("p", { class: "muted" }, "The map appears with the first segments."));
    mapCy = null;
    mapNodes = "";
    return;
  }
  const key = graph.nodes.map((n) => n.id).sort().join(",") + "|" + graph.edges.map((e) => e.id).sort().join(",");
  if (!mapCy || key !== mapNodes) {
    container.replaceChildren();
    mapNodes = key;
    mapCy = cytoscape({
      container, autoungrabify: true, boxSelectionEnabled: false, minZoom: 0.2, maxZoom: 2,
      style: [
        { selector: "node", style: {
          width: 44, height: 44, "background-color": "#fff", "border-width": 5, "border-color": "data(colour)",
          label: "data(label)", "text-valign": "bottom", "text-margin-y": 5, "font-size": 12, "text-wrap": "wrap",
          "font-family": "system-ui, sans-serif", color: "#1b2430" } },
        // X-Ray draws a component known only from its callers' calls as an inferred node.
        { selector: "node.inferred", style: { "border-style": "dashed", "background-color": "#f4f6f9" } },
        { selector: "edge", style: {
          width: 2, "curve-style": "bezier", "line-color": "data(colour)", "target-arrow-color": "data(colour)",
          "target-arrow-shape": "triangle", label: "data(label)", "font-size": 11, color: "#3d4756",
          "text-background-color": "#fff", "text-background-opacity": 1, "text-background-padding": 2 } },
        { selector: ":selected", style: { "overlay-color": "#1f4e79", "overlay-opacity": 0.15, "overlay-padding": 6 } },
      ],
      elements: [
        ...graph.nodes.map((node) => ({ group: "nodes", data: { id: node.id, colour: node.colour, label: node.id },
          classes: node.inferred ? "inferred" : "" })),
        ...graph.edges.map((edge) => ({ group: "edges", data: { id: edge.id, source: edge.source, target: edge.target, colour: "#8a95a5", label: "" } })),
      ],
    });
    mapCy.layout({ name: "dagre", rankDir: "LR", nodeSep: 40, rankSep: 90, fit: true, padding: 30 }).run();
    if (mapCy.zoom() > 0.9) {
      mapCy.zoom(0.9);
      mapCy.center();
    }
    mapCy.on("tap", "node, edge", (event) => {
      const id = event.target.id();
      const item = mapCy.scratch("graph").nodes.find((n) => n.id === id) || mapCy.scratch("graph").edges.find((e) => e.id === id);
      if (item) showMapDetails(details, item);
    });
  }
  mapCy.scratch("graph", graph);
  mapCy.batch(() => {
    for (const node of graph.nodes) {
      const what = node.inferred ? " calls" : "";
      mapCy.getElementById(node.id).data({ colour: node.colour,
        label: `${node.id}\n${node.count.toLocaleString("en")}${what} · ${node.p50Ms ?? "–"} ms p50` });
    }
    for (const edge of graph.edges) {
      mapCy.getElementById(edge.id).data({ colour: edge.status === "ok" ? "#8a95a5" : edge.colour, label: edge.count.toLocaleString("en") });
    }
  });
}

/** The ids of the nodes the service map draws now (for the browser tests). */
export function serviceMapNodes() {
  return mapCy ? mapCy.nodes().map((node) => node.id()) : [];
}

function showMapDetails(details, item) {
  const pctText = (ratio) => `${(ratio * 100).toFixed(ratio && ratio < 0.01 ? 2 : 1)}%`;
  const bars = histogramBars(item.histogram);
  details.replaceChildren(
    h("h3", {}, item.source ? `${item.source} → ${item.target}` : item.id),
    item.inferred ? h("p", { class: "muted" }, "Inferred from its callers' calls: it records no segment of its own.") : null,
    definitionList([
      [item.source || item.inferred ? "Calls" : "Requests", item.count.toLocaleString("en")],
      ["OK", pctText(item.ratios.ok)],
      ["Errors (4xx)", `${item.errors} (${pctText(item.ratios.error)})`],
      ["Faults (5xx)", `${item.faults} (${pctText(item.ratios.fault)})`],
      ["Throttles", `${item.throttles} (${pctText(item.ratios.throttle)})`],
      ["Latency", item.p50Ms === null ? "–" : `p50 ≤ ${formatDuration(item.p50Ms)}, p99 ≤ ${formatDuration(item.p99Ms)}`],
    ]),
    h("div", { class: "histogram", "aria-label": "Latency histogram" }, bars.map((bar) =>
      h("div", { class: "hbar" }, h("span", { class: "hlabel" }, bar.label),
        h("span", { class: "htrack" }, h("span", { class: "hfill", style: `width:${(bar.share * 100).toFixed(1)}%;background:${COLOURS.ok}` })),
        h("span", { class: "hcount" }, bar.count.toLocaleString("en"))))),
  );
}

// --- Charts ----------------------------------------------------------------------------------------

const PALETTE = ["#1f4e79", "#c05a00", "#2e8540", "#7b3fa0", "#c62828", "#00838f", "#6d4c41", "#5c6bc0"];
const charts = new Map(); // id -> {plot, labels}

export function renderCharts(container, series) {
  const wanted = series.charts();
  if (!wanted.length) return;
  if (container.querySelector(".muted")) container.replaceChildren();
  const width = Math.max(280, container.clientWidth - 8);
  for (const chart of wanted) {
    let entry = charts.get(chart.id);
    const labels = chart.labels.join(",");
    if (entry && (entry.labels !== labels || !container.contains(entry.box))) {
      entry.plot.destroy();
      entry.box.remove();
      entry = null;
    }
    if (!entry) {
      const box = h("figure", { class: "chart", "data-chart": chart.id }, h("figcaption", {}, chart.title));
      container.append(box);
      const plot = new uPlot({
        width, height: 150,
        scales: { x: { time: false } },
        axes: [{ label: "virtual s", size: 36 }, { size: 48 }],
        legend: { live: false },
        series: [{ label: "t" }, ...chart.labels.map((label, i) => ({ label, stroke: PALETTE[i % PALETTE.length], width: 2, spanGaps: true }))],
      }, chart.data, box);
      entry = { plot, labels, box };
      charts.set(chart.id, entry);
    } else {
      entry.plot.setData(chart.data);
      if (Math.abs(entry.plot.width - width) > 4) entry.plot.setSize({ width, height: 150 });
    }
  }
}

// --- Summary --------------------------------------------------------------------------------------

export function renderSummary(container, summary, topology, { seed = null } = {}) {
  if (!summary) return;
  const latency = summary.latency_ms || {};
  const cost = summary.cost_usd || {};
  const byComponent = Object.entries(cost.by_component || {}).sort((a, b) => b[1] - a[1]);
  const kinds = new Map((topology?.components || []).map((c) => [c.id, c.kind]));
  const sentence = accountingSentence(summary.messages);
  const accountingRow = (row) => row.parts
    ? [h("tr", { class: "acct-group" }, h("th", { colspan: "2" }, row.label)),
      ...row.parts.map((part) => h("tr", { class: "acct-part" }, h("th", {}, part.label), h("td", {}, part.text)))]
    : h("tr", { class: `acct-${row.key}${row.tone ? ` tone-${row.tone}` : ""}` }, h("th", {}, row.label), h("td", {}, row.text));
  container.replaceChildren(
    h("section", { class: "summary-block" }, h("h3", {}, "Messages"),
      h("table", { class: "numbers" }, h("tbody", {}, accountingRows(summary.messages).flatMap((row) => accountingRow(row)))),
      h("p", { class: `accounting${sentence.tone ? ` tone-${sentence.tone}` : " muted"}` }, sentence.text)),
    h("section", { class: "summary-block" }, h("h3", {}, "Latency (accepted → finished)"),
      h("table", { class: "numbers" }, h("tbody", {}, ["p50", "p90", "p99", "max"].map((p) =>
        h("tr", {}, h("th", {}, p), h("td", {}, latency[p] === undefined ? "–" : formatDuration(latency[p]))))))),
    h("section", { class: "summary-block" }, h("h3", {}, "Cost"),
      h("table", { class: "numbers" }, h("tbody", {},
        byComponent.map(([id, usd]) => h("tr", {}, h("th", {}, id, h("span", { class: "muted" }, ` ${kinds.get(id) || ""}`)), h("td", {}, `$${usd.toFixed(6)}`))),
        h("tr", { class: "total" }, h("th", {}, "Total"), h("td", {}, `$${(cost.total ?? 0).toFixed(6)}`))))),
    h("section", { class: "summary-block component-metrics" }, h("h3", {}, "Per component (CloudWatch metrics)"),
      componentTables(summary, topology).map((table) => h("div", { class: "component-table", "data-component": table.id },
        h("h4", {}, table.id, table.kind ? h("span", { class: "muted" }, ` ${table.kind}`) : null),
        h("table", { class: "numbers" }, h("tbody", {}, table.rows.map((row) =>
          h("tr", {}, h("th", {}, row.name), h("td", {}, row.text)))))))),
    // The seed as the page got it from the server: a JavaScript number would round one above 2**53.
    h("p", { class: "muted" }, `${(summary.virtual_seconds ?? 0).toFixed(1)} virtual seconds · seed ${seed ?? summary.seed ?? "–"}`),
  );
}
