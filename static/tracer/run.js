// The run page: wires the stream to the DOM-free modules (traces, servicemap, animation,
// metrics, timeline) and those to the canvas, the trace list, the timeline, the service map,
// the charts and the summary. Messages are applied once per animation frame, panels refreshed
// at most a few times a second: the page stays smooth when thousands of segments arrive.

import { request } from "../designer/api.js";
import { TokenField, TokenSampler } from "./animation.js";
import { MetricSeries } from "./metrics.js";
import { createRunCanvas } from "./run-canvas.js";
import { renderCharts, renderServiceMap, renderSummary, renderTimeline, serviceMapNodes } from "./run-panels.js";
import { ServiceMap } from "./servicemap.js";
import { countUpTo } from "./scrub.js";
import { RunStream, streamUrl } from "./stream.js";
import { hops, waterfallNow } from "./timeline.js";
import { OUTCOMES, OUTCOME_LABELS, TraceIndex, formatDuration, fromApiRow } from "./traces.js";

const ROW_HEIGHT = 34;
const PANEL_REFRESH_MS = 250;
const CHART_REFRESH_MS = 1000;
const STREAM_TEXT = {
  connecting: "connecting…", open: "live", reconnecting: "reconnecting…", closed: "",
  signed_out: "closed: sign in again", not_found: "not found",
};

const $ = (id) => document.getElementById(id);
const OVER = new Set(["finished", "failed", "cancelled"]);
const speedText = (speed) => (speed === null ? "max" : `×${speed}`);

/** ?replay=10 (or 1, 100, max): this page replays the finished run at that speed. */
function replayFrom(search) {
  const text = new URLSearchParams(search).get("replay");
  if (text === null) return undefined;
  if (text === "max") return null;
  const speed = Number(text);
  return Number.isFinite(speed) && speed > 0 ? speed : 10;
}

class RunPage {
  constructor(config) {
    this.config = config;
    this.root = $("run-view");
    this.run = config.run;
    this.components = new Set(config.topology.components.map((c) => c.id));
    this.index = new TraceIndex();
    this.map = new ServiceMap({ components: this.components });
    this.resetTokens();
    this.series = new MetricSeries(config.topology);
    this.inbox = [];
    this.filters = { outcomes: new Set(), component: "", minMs: null, maxMs: null, sort: "start" };
    this.filtered = [];
    this.filteredVersion = -1;
    this.selected = null;
    this.status = this.run.status;
    this.virtualSeconds = this.run.virtual_seconds || 0;
    this.speed = this.run.speed;
    this.paused = this.run.paused;
    // Replaying (?replay=): the stream is the run's log again, paced; the toolbar sets its pace.
    this.replay = OVER.has(this.run.status) ? replayFrom(window.location.search) : undefined;
    if (this.replay !== undefined) {
      this.speed = this.replay;
      this.paused = false;
      this.virtualSeconds = 0; // the replay's clock starts again
    }
    this.replaySpeed = this.replay ?? 10; // what the Replay button replays at
    this.history = []; // every message applied, in seq order: what scrubbing rebuilds from
    this.ended = false; // run.finished applied: the history is the whole run
    this.scrubbedTo = null; // the virtual second shown when scrubbed back, null at the run's end
    this.scrubUpto = 0; // then: how many messages of history the page shows
    this.summary = null;
    this.dirty = { list: true, panels: true, charts: true };
    this.lastPanelRefresh = 0;
    this.lastChartRefresh = 0;
    this.tokensDrawn = 0;
    this.hadTokens = false;
  }

  async start() {
    let catalog = null;
    try {
      catalog = (await request(this.config.urls.catalog)).data;
    } catch { /* icons are a nicety */ }
    this.canvas = await createRunCanvas({
      container: $("cy"), overlay: $("tokens"), badgeLayer: $("badges"), topology: this.config.topology, catalog,
      onSelect: ({ component }) => this.filterComponent(component),
    });
    this.setUpToolbar();
    this.setUpTabs();
    this.setUpFilters();
    this.setUpList();
    $("timeline-close").addEventListener("click", () => this.closeTrace());
    $("lesson-toggle")?.addEventListener("click", (event) => {
      const expanded = $("lesson").classList.toggle("expanded");
      event.target.setAttribute("aria-expanded", String(expanded));
      event.target.textContent = expanded ? "Less" : "All of it";
    });
    this.setUpScrubber();
    this.showStatus();
    const replay = this.replay === undefined ? "" : `?replay=${this.replay === null ? "max" : this.replay}`;
    this.stream = new RunStream({
      url: streamUrl(window.location, this.run.id) + replay,
      WebSocket: window.WebSocket,
      onMessage: (message) => this.inbox.push(message),
      onState: (state, detail) => this.streamState(state, detail),
      onError: (message) => this.showError(message?.message || "The server refused a message."),
    }).start();
    this.frame = this.frame.bind(this);
    requestAnimationFrame(this.frame);
  }

  // --- The frame loop --------------------------------------------------------------------------

  frame(now) {
    // Scheduled first: a panel that throws must not stop the clock, the counts and the tokens.
    requestAnimationFrame(this.frame);
    try {
      this.step(now);
    } catch (error) {
      this.failed(error);
    }
  }

  /** An error in a frame is reported once (console and page), and the page goes on. */
  failed(error) {
    if (this.reported) return;
    this.reported = true;
    console.error(error);
    this.showError(`Part of the page failed: ${error.message}`);
  }

  step(now) {
    if (this.inbox.length) this.applyInbox();
    if (!this.paused) this.field.add(this.sampler.take(), now);
    const positions = this.field.positions(now);
    if (positions.length || this.hadTokens) {
      this.canvas.drawTokens(positions);
      this.tokensDrawn += positions.length;
      this.hadTokens = positions.length > 0;
    }
    if (now - this.lastPanelRefresh > PANEL_REFRESH_MS) {
      this.lastPanelRefresh = now;
      this.refreshPanels();
    }
    if (now - this.lastChartRefresh > CHART_REFRESH_MS && this.dirty.charts && this.visibleTab === "metrics") {
      this.lastChartRefresh = now;
      this.dirty.charts = false;
      renderCharts($("charts"), this.series);
    }
  }

  applyInbox() {
    const messages = this.inbox;
    this.inbox = [];
    for (const message of messages) {
      this.history.push(message);
      try {
        this.apply(message, true);
      } catch (error) {
        this.failed(error); // the next messages still apply
      }
    }
  }

  /** One stream message into the page's state; ``live`` false: rebuilding for the scrubber (no
   * tokens, no status changes). */
  apply(message, live) {
    switch (message.type) {
      case "run.segments": {
        this.index.add(message.segments);
        const moves = this.map.add(message.segments);
        if (live) this.sampler.offer(moves);
        this.dirty.list = this.dirty.panels = true;
        if (this.selected && message.segments.some((s) => s.trace_id === this.selected)) this.dirty.timeline = true;
        break;
      }
      case "run.traces":
        this.index.settle(message.traces);
        this.dirty.list = true;
        break;
      case "run.metrics":
        this.series.add(message.sample);
        this.virtualSeconds = message.sample.t;
        if (live) this.canvas.showBadges(this.series.badges());
        this.dirty.charts = true;
        break;
      case "run.status":
        if (!live) break;
        this.status = message.status;
        this.virtualSeconds = message.virtual_seconds ?? this.virtualSeconds;
        if (this.replay === undefined) { // a replay's pace is the toolbar's, not the run's
          this.speed = message.speed;
          this.paused = message.paused;
        }
        this.showStatus();
        break;
      case "run.finished":
        if (!live) {
          this.index.finishRun();
          break;
        }
        this.ended = true;
        this.endSeconds = Math.max(this.virtualSeconds, message.summary?.virtual_seconds ?? 0);
        this.status = message.status;
        this.summary = message.summary;
        if (message.error) this.showError(message.error);
        if (message.summary?.virtual_seconds) this.virtualSeconds = message.summary.virtual_seconds;
        this.index.finishRun();
        this.dirty.list = this.dirty.panels = true;
        this.showStatus();
        this.streamState(this.stream.state);
        renderSummary($("summary"), this.summary, this.config.topology, { seed: this.config.seed });
        this.showScrubber();
        break;
      default:
        break;
    }
  }

  refreshPanels() {
    $("run-clock").textContent = `${this.virtualSeconds.toFixed(1)} s`;
    if (!this.ended) this.showScrubber();
    if (this.dirty.list) {
      this.dirty.list = false;
      this.refreshList();
    }
    if (this.dirty.panels) {
      this.dirty.panels = false;
      const graph = this.map.graph();
      this.canvas.showHealth(graph);
      if (this.visibleTab === "map") renderServiceMap($("service-map"), $("map-details"), graph);
      this.refreshComponentOptions();
    }
    if (this.dirty.timeline) {
      this.dirty.timeline = false;
      this.showTrace(this.selected, { keepDetails: true });
    }
  }

  // --- Toolbar -----------------------------------------------------------------------------------

  setUpToolbar() {
    for (const button of this.root.querySelectorAll("[data-speed]")) {
      button.addEventListener("click", () => {
        const speed = button.dataset.speed === "max" ? null : Number(button.dataset.speed);
        if (this.picksReplaySpeed()) {
          this.replaySpeed = speed;
        } else {
          this.speed = speed;
          this.stream.control({ speed, paused: this.paused });
        }
        this.showStatus();
      });
    }
    $("replay-button").addEventListener("click", () => {
      const url = new URL(window.location.href);
      url.searchParams.set("replay", this.replaySpeed === null ? "max" : String(this.replaySpeed));
      window.location.assign(url.toString());
    });
    $("pause-button").addEventListener("click", () => {
      this.paused = !this.paused;
      this.stream.control({ speed: this.speed, paused: this.paused });
      this.showStatus();
    });
    $("cancel-button").addEventListener("click", () => {
      if (!window.confirm("Cancel this run? What ran so far is kept.")) return;
      this.stream.cancel();
      request(this.config.urls.cancel, { method: "POST", body: {} }).catch(() => {});
    });
    const { urls } = this.config;
    $("export-xray").href = urls.export_xray;
    $("export-otlp").href = urls.export_otlp;
    $("export-summary").href = urls.export_summary;
    $("run-again").href = urls.again;
  }

  /** The run is over and no replay is going on: the speed buttons choose the replay's speed. */
  picksReplaySpeed() {
    return OVER.has(this.status) && (this.replay === undefined || this.ended);
  }

  showStatus() {
    const live = this.status === "running" || this.status === "queued";
    const replaying = this.replay !== undefined && !this.ended;
    const picking = this.picksReplaySpeed();
    let text = this.status;
    if (replaying) text = this.paused ? "replay paused" : `replaying ${speedText(this.speed)}`;
    else if (this.paused && live) text = "paused";
    this.root.dataset.status = this.status;
    this.root.dataset.replay = replaying ? "playing" : this.replay !== undefined ? "done" : "";
    $("run-status").textContent = text;
    $("run-status").className = `run-status status-${replaying ? "replaying" : this.paused && live ? "paused" : this.status}`;
    const shown = picking ? this.replaySpeed : this.speed;
    for (const button of this.root.querySelectorAll("[data-speed]")) {
      const value = button.dataset.speed === "max" ? null : Number(button.dataset.speed);
      button.setAttribute("aria-pressed", String(value === shown));
      button.disabled = !(live || replaying || picking);
    }
    const pause = $("pause-button");
    pause.textContent = this.paused ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", String(this.paused));
    pause.disabled = !(live || replaying);
    pause.hidden = picking;
    $("cancel-button").disabled = !live || replaying;
    $("cancel-button").hidden = !live || replaying;
    $("replay-button").hidden = !picking;
  }

  // --- Scrubber ----------------------------------------------------------------------------------

  setUpScrubber() {
    // A drag sends many inputs a frame; only the latest is rebuilt, once the page has painted.
    $("scrubber").addEventListener("input", (event) => {
      const first = this.pendingScrub === undefined;
      this.pendingScrub = Number(event.target.value);
      if (!first) return;
      requestAnimationFrame(() => {
        const t = this.pendingScrub;
        this.pendingScrub = undefined;
        this.scrubTo(t);
      });
    });
  }

  /** No token waiting or moving (a scrub leaves the run's moment: its tokens go with it). */
  resetTokens() {
    this.sampler = new TokenSampler({ budgetPerFrame: 30 });
    this.field = new TokenField({ durationMs: 900, maxActive: 350 });
  }

  /** The slider follows the run; once the whole run is here, it moves the page to any second. */
  showScrubber() {
    const slider = $("scrubber");
    // A replay knows where the run ends; a live run's end moves with it.
    const known = this.replay !== undefined ? this.run.virtual_seconds || 0 : 0;
    const end = this.ended ? this.endSeconds : Math.max(this.virtualSeconds, known, Number(slider.max) || 0);
    // A whole number of steps (0.1 s), so that the slider's end reaches the run's end.
    slider.max = String(Math.max(Math.ceil(end * 10) / 10, 0.1));
    slider.disabled = !this.ended;
    if (this.scrubbedTo === null) slider.value = String(this.virtualSeconds);
    $("scrub-time").textContent = `${(this.scrubbedTo ?? this.virtualSeconds).toFixed(1)} s`;
  }

  /** The canvas, badges, trace list, service map and charts as they were at virtual time ``t``.
   * Forward from where the page is, only the messages in between are applied; back, the page is
   * rebuilt from the first message (at 100,000 traces: some 350 ms; forward steps: a few ms). */
  scrubTo(t) {
    if (!this.ended) return;
    const upto = t >= this.endSeconds ? this.history.length : countUpTo(this.history, t);
    const shown = this.scrubbedTo === null ? this.history.length : this.scrubUpto;
    let from = shown;
    if (upto < shown) {
      this.index = new TraceIndex();
      this.map = new ServiceMap({ components: this.components });
      this.series = new MetricSeries(this.config.topology);
      from = 0;
    }
    this.resetTokens();
    for (let i = from; i < upto; i += 1) this.apply(this.history[i], false);
    this.scrubUpto = upto;
    const atEnd = upto === this.history.length;
    this.scrubbedTo = atEnd ? null : t;
    this.virtualSeconds = atEnd ? this.endSeconds : t;
    this.root.dataset.scrubbed = atEnd ? "" : "yes";
    this.canvas.showBadges(this.series.badges());
    this.filteredVersion = -1;
    this.dirty.list = this.dirty.panels = this.dirty.charts = true;
    if (this.selected && !this.index.get(this.selected)) this.closeTrace();
    this.refreshPanels();
    if (this.visibleTab === "metrics") renderCharts($("charts"), this.series);
    this.showScrubber();
    $("scrubber").value = String(t);
  }

  streamState(state, detail) {
    this.root.dataset.stream = state;
    let text = STREAM_TEXT[state] ?? state;
    if (state === "open" && !["running", "queued"].includes(this.status)) text = "";
    if (state === "reconnecting" && detail !== undefined) text = `reconnecting in ${Math.ceil(detail / 1000)} s…`;
    $("stream-state").textContent = text;
    if (state === "signed_out" || state === "not_found") this.showError(`The run's stream is ${text}.`);
  }

  showError(text) {
    const box = $("run-error");
    box.textContent = text;
    box.hidden = false;
  }

  // --- Tabs --------------------------------------------------------------------------------------

  setUpTabs() {
    const tabs = [...this.root.querySelectorAll('.run-side [role="tab"]')];
    this.visibleTab = "traces";
    for (const tab of tabs) {
      tab.addEventListener("click", () => {
        for (const other of tabs) {
          const selected = other === tab;
          other.setAttribute("aria-selected", String(selected));
          $(other.getAttribute("aria-controls")).hidden = !selected;
        }
        this.visibleTab = tab.id.replace("tab-", "");
        if (this.visibleTab === "map") renderServiceMap($("service-map"), $("map-details"), this.map.graph());
        if (this.visibleTab === "metrics") renderCharts($("charts"), this.series);
        if (this.visibleTab === "summary") this.loadSummary();
        if (this.visibleTab === "traces") this.renderRows();
      });
    }
  }

  async loadSummary() {
    if (this.summary) return renderSummary($("summary"), this.summary, this.config.topology, { seed: this.config.seed });
    if (this.status === "running" || this.status === "queued") return;
    try {
      const { data } = await request(this.config.urls.summary);
      this.summary = data;
      renderSummary($("summary"), data, this.config.topology, { seed: this.config.seed });
    } catch { /* 409: not ready */ }
  }

  // --- Trace list --------------------------------------------------------------------------------

  setUpFilters() {
    const box = $("outcome-filters");
    for (const outcome of OUTCOMES) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = `outcome-filter outcome-${outcome}`;
      button.dataset.outcome = outcome;
      button.setAttribute("aria-pressed", "false");
      button.innerHTML = `<span class="label"></span> <span class="n">0</span>`;
      button.querySelector(".label").textContent = OUTCOME_LABELS[outcome];
      button.addEventListener("click", () => {
        const on = !this.filters.outcomes.has(outcome);
        if (on) this.filters.outcomes.add(outcome);
        else this.filters.outcomes.delete(outcome);
        button.setAttribute("aria-pressed", String(on));
        this.refilter();
      });
      box.append(button);
    }
    $("filter-component").addEventListener("change", (event) => {
      this.filters.component = event.target.value;
      this.refilter();
    });
    const number = (value) => (value === "" ? null : Number(value));
    $("filter-min").addEventListener("input", (event) => { this.filters.minMs = number(event.target.value); this.refilter(); });
    $("filter-max").addEventListener("input", (event) => { this.filters.maxMs = number(event.target.value); this.refilter(); });
    $("filter-sort").addEventListener("change", (event) => { this.filters.sort = event.target.value; this.refilter(); });
  }

  filterComponent(component) {
    const select = $("filter-component");
    this.refreshComponentOptions();
    select.value = component || "";
    this.filters.component = select.value;
    this.refilter();
  }

  refreshComponentOptions() {
    const select = $("filter-component");
    const names = this.index.components();
    if (select.options.length - 1 === names.length) return;
    const current = select.value;
    select.replaceChildren(new Option("Any component", ""), ...names.map((name) => new Option(name, name)));
    select.value = current;
  }

  refilter() {
    this.filteredVersion = -1;
    this.refreshList();
  }

  refreshList() {
    const index = this.index;
    for (const button of $("outcome-filters").children) {
      const n = index.counts[button.dataset.outcome];
      button.querySelector(".n").textContent = n.toLocaleString("en");
      button.hidden = n === 0 && !this.filters.outcomes.has(button.dataset.outcome) && !["completed", "failed", "dead_lettered", "throttled"].includes(button.dataset.outcome);
    }
    $("trace-count").textContent = index.size.toLocaleString("en");
    if (this.filteredVersion !== index.version) {
      this.filteredVersion = index.version;
      const { outcomes, component, minMs, maxMs, sort } = this.filters;
      this.filtered = index.filter({ outcomes, component: component || null, minMs, maxMs, sort });
    }
    $("trace-spacer").style.height = `${this.filtered.length * ROW_HEIGHT}px`;
    $("trace-empty").hidden = this.filtered.length > 0;
    $("trace-empty").textContent = index.size ? "No trace matches these filters." : "No traces yet.";
    this.renderRows();
  }

  setUpList() {
    const list = $("trace-list");
    this.rowPool = [];
    list.addEventListener("scroll", () => this.renderRows(), { passive: true });
    list.addEventListener("click", (event) => {
      const row = event.target.closest(".trace-row");
      if (row) this.showTrace(row.dataset.trace);
    });
    list.addEventListener("keydown", (event) => {
      if (!["ArrowDown", "ArrowUp", "Enter"].includes(event.key) || !this.filtered.length) return;
      event.preventDefault();
      const at = this.filtered.findIndex((trace) => trace.id === this.selected);
      const next = event.key === "Enter" ? Math.max(at, 0) : Math.min(this.filtered.length - 1, Math.max(0, at + (event.key === "ArrowDown" ? 1 : -1)));
      this.showTrace(this.filtered[next].id);
      const top = next * ROW_HEIGHT;
      if (top < list.scrollTop || top + ROW_HEIGHT > list.scrollTop + list.clientHeight) list.scrollTop = top - list.clientHeight / 2;
    });
  }

  /** Only the rows on screen exist (a pool of elements reused as the list scrolls). */
  renderRows() {
    const list = $("trace-list");
    if (!list.clientHeight) return;
    const first = Math.max(0, Math.floor(list.scrollTop / ROW_HEIGHT) - 5);
    const count = Math.ceil(list.clientHeight / ROW_HEIGHT) + 10;
    const traces = this.filtered.slice(first, first + count);
    while (this.rowPool.length < traces.length) {
      const row = document.createElement("div");
      row.className = "trace-row";
      row.setAttribute("role", "option");
      row.innerHTML = '<span class="t-message"></span><span class="entry"></span><span class="outcome"></span><span class="duration"></span>';
      list.append(row);
      this.rowPool.push(row);
    }
    this.rowPool.forEach((row, i) => {
      const trace = traces[i];
      if (!trace) {
        row.hidden = true;
        return;
      }
      row.hidden = false;
      row.style.transform = `translateY(${(first + i) * ROW_HEIGHT}px)`;
      row.dataset.trace = trace.id;
      row.dataset.outcome = trace.outcome;
      row.setAttribute("aria-selected", String(trace.id === this.selected));
      const [message, entry, outcome, duration] = row.children;
      message.textContent = trace.messageId || trace.id.slice(-12);
      message.title = trace.id;
      entry.textContent = trace.entry;
      outcome.textContent = OUTCOME_LABELS[trace.outcome] + (trace.maxAttempt > 1 ? ` ·${trace.maxAttempt}×` : "");
      outcome.className = `outcome pill outcome-${trace.outcome}`;
      duration.textContent = trace.outcome === "in_flight" ? "…" : formatDuration(trace.durationMs);
    });
  }

  // --- One trace -------------------------------------------------------------------------------

  async showTrace(traceId, { keepDetails = false } = {}) {
    if (!traceId) return;
    this.selected = traceId;
    this.renderRows();
    let segments = this.index.segmentsOf(traceId);
    let row = this.index.get(traceId);
    if (!segments) {
      try {
        const { data } = await request(this.config.urls.trace.replace("{trace_id}", encodeURIComponent(traceId)));
        segments = data.segments;
        row = row || fromApiRow(data);
      } catch {
        segments = [];
      }
      if (this.selected !== traceId) return;
    }
    const panel = $("timeline-panel");
    panel.hidden = false;
    this.root.classList.add("with-timeline");
    $("timeline-title").textContent = row?.messageId || traceId;
    $("timeline-meta").textContent = row
      ? `${OUTCOME_LABELS[row.outcome]} · ${formatDuration(row.durationMs)} · ${row.segmentCount} segments · ${traceId}`
      : traceId;
    const now = waterfallNow(this.status === "running", row?.outcome, this.virtualSeconds);
    renderTimeline($("timeline"), $("segment-details"), segments, { now, keepDetails });
    this.canvas.highlight(hops(segments));
    this.canvas.relayout();
  }

  closeTrace() {
    this.selected = null;
    $("timeline-panel").hidden = true;
    this.root.classList.remove("with-timeline");
    this.canvas.highlight(null);
    this.canvas.relayout();
    this.renderRows();
  }
}

const config = JSON.parse(document.getElementById("run-config").textContent);
const page = new RunPage(config);
// A read-only hook for the browser tests (as the designer's window.wiretapDesigner).
window.wiretapRun = {
  get status() { return page.status; },
  get traces() { return page.index.size; },
  get counts() { return { ...page.index.counts }; },
  get lastSeq() { return page.stream?.lastSeq ?? 0; },
  // Messages applied, and those the stream dropped as duplicates or held for a gap: applied ==
  // lastSeq means every seq from 1 was applied exactly once.
  get stream() { return { ...(page.stream?.stats ?? {}) }; },
  get tokensDrawn() { return page.tokensDrawn; },
  get badges() { return page.series.badges(); },
  get paused() { return page.paused; },
  get replay() { return page.root.dataset.replay; },
  get ended() { return page.ended; },
  // Ended, and what it received is on the page (no list or panel waits for the next frame).
  get shown() { return page.ended && !page.dirty.list && !page.dirty.panels && !page.dirty.timeline; },
  onPath: () => page.canvas?.onPath() ?? [],
  get mapNodes() { return serviceMapNodes(); },
};
page.start().catch((error) => {
  console.error(error);
  page.showError(`The page could not start: ${error.message}`);
});
