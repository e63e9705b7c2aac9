// The run's live canvas: the topology drawn with Cytoscape as in the designer (read-only), health
// colours on nodes and connections, tokens drawn on a canvas overlay, HTML badges per component,
// and a trace's path highlighted. Positions and timing come from the DOM-free modules.

import cytoscape from "../vendor/cytoscape/cytoscape.esm.min.mjs";
import cytoscapeDagre from "../vendor/cytoscape-dagre/cytoscape-dagre.mjs";

import { COLOURS } from "./servicemap.js";
import { pointAlong } from "./animation.js";
import { connectionClasses } from "../designer/roles.js";

let registered = false;

function style() {
  return [
    {
      selector: "node.component",
      style: {
        shape: "round-rectangle", width: 64, height: 64,
        "background-color": "#ffffff", "border-width": 2, "border-color": "#aeb7c3",
        "background-image": "data(icon)", "background-width": 44, "background-height": 44,
        label: "data(id)", "text-valign": "bottom", "text-halign": "center", "text-margin-y": 6,
        "font-size": 15, "font-family": "system-ui, sans-serif", color: "#1b2430",
        "text-wrap": "ellipsis", "text-max-width": 150, "min-zoomed-font-size": 7,
      },
    },
    { selector: "node.health-ok", style: { "border-color": COLOURS.ok, "border-width": 3 } },
    { selector: "node.health-error", style: { "border-color": COLOURS.error, "border-width": 4 } },
    { selector: "node.health-fault", style: { "border-color": COLOURS.fault, "border-width": 4 } },
    { selector: "node.health-throttle", style: { "border-color": COLOURS.throttle, "border-width": 4 } },
    {
      selector: "node.group",
      style: {
        shape: "round-rectangle", "background-color": "#e3e9f1", "background-opacity": 0.5,
        "border-width": 1.5, "border-style": "dashed", "border-color": "#8d9aab", padding: 26,
        label: "data(label)", "text-valign": "top", "font-size": 15, "font-weight": 600, color: "#3d4756",
      },
    },
    {
      selector: "edge",
      style: {
        width: 2, "curve-style": "bezier", "line-color": "#8a95a5", "target-arrow-color": "#8a95a5",
        "target-arrow-shape": "triangle", label: "data(label)", "font-size": 12, color: "#3d4756",
        "text-background-color": "#f4f6f9", "text-background-opacity": 1, "text-background-padding": 2,
        "min-zoomed-font-size": 8,
      },
    },
    { selector: "edge.async", style: { "line-style": "dashed", "line-dash-pattern": [7, 4] } },
    { selector: "edge.failure", style: { "line-color": "#b0645a", "target-arrow-color": "#b0645a" } },
    { selector: "edge.health-error", style: { "line-color": COLOURS.error, "target-arrow-color": COLOURS.error, width: 3 } },
    { selector: "edge.health-fault", style: { "line-color": COLOURS.fault, "target-arrow-color": COLOURS.fault, width: 3 } },
    { selector: "edge.health-throttle", style: { "line-color": COLOURS.throttle, "target-arrow-color": COLOURS.throttle, width: 3 } },
    { selector: ".dimmed", style: { opacity: 0.25 } },
    { selector: "node.on-path", style: { "border-color": "#1f4e79", "border-width": 5 } },
    { selector: "edge.on-path", style: { "line-color": "#1f4e79", "target-arrow-color": "#1f4e79", width: 5 } },
  ];
}

export async function createRunCanvas({ container, overlay, badgeLayer, topology, catalog, onSelect }) {
  if (!registered) {
    cytoscape.use(cytoscapeDagre);
    registered = true;
  }
  const icons = new Map((catalog?.kinds || []).map((kind) => [kind.name, kind.icon]));
  const cy = cytoscape({
    container, style: style(), minZoom: 0.1, maxZoom: 3, autoungrabify: true,
    boxSelectionEnabled: false, textureOnViewport: false, motionBlur: false,
  });
  const canvas = new RunCanvas(cy, { overlay, badgeLayer, onSelect });
  canvas.draw(topology, icons);
  return canvas;
}

class RunCanvas {
  constructor(cy, { overlay, badgeLayer, onSelect }) {
    this.cy = cy;
    this.overlay = overlay;
    this.badgeLayer = badgeLayer;
    this.edgeByPair = new Map(); // "source>target" -> edge
    this.badges = [];
    cy.on("tap", "node.component", (event) => onSelect?.({ component: event.target.id() }));
    cy.on("tap", (event) => {
      if (event.target === cy) onSelect?.({ component: null });
    });
    cy.on("viewport resize", () => this.placeBadges());
    new ResizeObserver(() => this.resizeOverlay()).observe(cy.container());
    this.resizeOverlay();
  }

  draw(topology, icons) {
    const cy = this.cy;
    const parentOf = new Map();
    for (const group of topology.groups || []) for (const member of group.members) parentOf.set(member, `group:${group.id}`);
    const elements = [];
    for (const group of topology.groups || []) elements.push({ group: "nodes", data: { id: `group:${group.id}`, label: group.label || group.id }, classes: "group" });
    for (const component of topology.components) {
      elements.push({
        group: "nodes",
        data: { id: component.id, kind: component.kind, icon: icons.get(component.kind) || icons.get("http") || "", parent: parentOf.get(component.id) },
        position: { ...(component.position || { x: 0, y: 0 }) },
        classes: "component",
      });
    }
    topology.connections.forEach((connection, index) => {
      elements.push({
        group: "edges",
        data: { id: `edge:${index}`, source: connection.source, target: connection.target, label: connection.role },
        classes: connectionClasses(connection.role),
      });
    });
    cy.add(elements);
    cy.edges().forEach((edge) => this.edgeByPair.set(`${edge.data("source")}>${edge.data("target")}`, edge));
    if (topology.components.some((component) => !component.position)) {
      cy.layout({ name: "dagre", rankDir: "LR", nodeSep: 40, rankSep: 110, fit: false, animate: false }).run();
    }
    this.fit();
  }

  fit() {
    this.cy.fit(this.cy.elements(), 50);
    if (this.cy.zoom() > 1.3) {
      this.cy.zoom(1.3);
      this.cy.center();
    }
  }

  /** The canvas area changed size (the timeline opened or closed): resize and fit again. */
  relayout() {
    requestAnimationFrame(() => {
      this.cy.resize();
      this.fit();
      this.resizeOverlay();
    });
  }

  resizeOverlay() {
    const container = this.cy.container();
    const ratio = window.devicePixelRatio || 1;
    this.overlay.width = container.clientWidth * ratio;
    this.overlay.height = container.clientHeight * ratio;
    this.overlay.style.width = `${container.clientWidth}px`;
    this.overlay.style.height = `${container.clientHeight}px`;
    this.ratio = ratio;
    this.placeBadges();
  }

  /** Node and edge health from the service map's graph ({nodes, edges} with status). */
  showHealth(graph) {
    this.cy.batch(() => {
      for (const node of graph.nodes) {
        const element = this.cy.getElementById(node.id);
        if (element.empty() || element.hasClass(`health-${node.status}`)) continue;
        element.removeClass("health-ok health-error health-fault health-throttle").addClass(`health-${node.status}`);
      }
      for (const item of graph.edges) {
        const edge = this.edgeByPair.get(item.id);
        if (!edge || item.status === "ok" || edge.hasClass(`health-${item.status}`)) continue;
        edge.removeClass("health-error health-fault health-throttle").addClass(`health-${item.status}`);
      }
    });
  }

  /** Tokens in motion: [{token, progress}] from TokenField.positions. */
  drawTokens(positions) {
    const context = this.overlay.getContext("2d");
    const { ratio } = this;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, this.overlay.width, this.overlay.height);
    const zoom = this.cy.zoom();
    const size = Math.max(3, Math.min(7, 5 * zoom));
    const ends = new Map();
    for (const { token, progress } of positions) {
      const key = `${token.source}>${token.target}`;
      let path = ends.get(key);
      if (path === undefined) {
        path = this.pathOf(key);
        ends.set(key, path);
      }
      if (!path) continue;
      const point = pointAlong(path.a, path.b, progress, path.c);
      const failed = token.status !== "ok";
      context.beginPath();
      context.arc(point.x, point.y, failed ? size * 1.35 : size, 0, Math.PI * 2);
      context.fillStyle = failed ? COLOURS[token.status] : "#2f6fb0";
      context.globalAlpha = failed ? 1 : 0.8;
      context.fill();
      if (failed) {
        context.lineWidth = 1.5;
        context.strokeStyle = "#ffffff";
        context.stroke();
      }
    }
    context.globalAlpha = 1;
  }

  /** Rendered endpoints (and bezier control point) of a connection, or of the two nodes. */
  pathOf(key) {
    const edge = this.edgeByPair.get(key);
    if (edge) {
      const a = edge.renderedSourceEndpoint();
      const b = edge.renderedTargetEndpoint();
      const mid = edge.renderedMidpoint();
      // A quadratic through the edge's midpoint: c = 2*mid - (a+b)/2.
      const c = { x: 2 * mid.x - (a.x + b.x) / 2, y: 2 * mid.y - (a.y + b.y) / 2 };
      return { a, b, c };
    }
    const [source, target] = key.split(">");
    const s = this.cy.getElementById(source);
    const t = this.cy.getElementById(target);
    if (s.empty() || t.empty()) return null;
    return { a: s.renderedPosition(), b: t.renderedPosition(), c: null };
  }

  /** Badges: [{id, items: [{key, label, value, tone}]}] (MetricSeries.badges). */
  showBadges(badges) {
    this.badges = badges;
    this.placeBadges();
  }

  placeBadges() {
    if (!this.badgeLayer) return;
    const elements = [];
    for (const badge of this.badges) {
      const node = this.cy.getElementById(badge.id);
      if (node.empty()) continue;
      const box = node.renderedBoundingBox({ includeLabels: false });
      const element = document.createElement("div");
      element.className = "run-badge";
      element.dataset.component = badge.id;
      element.style.left = `${box.x2 - 6}px`;
      element.style.top = `${box.y1 - 10}px`;
      for (const item of badge.items) {
        const chip = document.createElement("span");
        chip.className = `chip ${item.tone}`;
        chip.dataset.key = item.key;
        chip.title = `${item.value} ${item.label}`;
        chip.textContent = `${item.value} ${item.label}`;
        element.append(chip);
      }
      elements.push(element);
    }
    this.badgeLayer.replaceChildren(...elements);
  }

  /** Highlight the components and connections of a trace's hops (null clears). */
  highlight(hops) {
    this.cy.batch(() => {
      this.cy.elements().removeClass("dimmed on-path");
      if (!hops) return;
      const nodes = new Set();
      const edges = new Set();
      for (const hop of hops) {
        nodes.add(hop.source);
        nodes.add(hop.target);
        const edge = this.edgeByPair.get(`${hop.source}>${hop.target}`);
        if (edge) edges.add(edge.id());
      }
      this.cy.elements().forEach((element) => {
        const on = element.isNode() ? nodes.has(element.id()) || element.hasClass("group") : edges.has(element.id());
        element.addClass(on ? "on-path" : "dimmed");
      });
      this.cy.nodes(".group").removeClass("on-path");
    });
  }

  /** The ids of the components the highlighted trace went through. */
  onPath() {
    return this.cy.nodes(".on-path").map((node) => node.id());
  }
}
