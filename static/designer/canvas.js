// The canvas: Cytoscape.js drawing the model's document. It renders from the model (sync) and
// turns gestures into intentions for main.js (moved, connect, dropped, selection); it never
// changes the document itself.

import cytoscape from "../vendor/cytoscape/cytoscape.esm.min.mjs";
import cytoscapeDagre from "../vendor/cytoscape-dagre/cytoscape-dagre.mjs";

import { canvasStyle } from "./canvas-style.js";
import { connectionKeys } from "./model.js";
import { connectionClasses } from "./roles.js";

let pluginsRegistered = null;

// edgehandles is UMD (a classic <script> sets window.cytoscapeEdgehandles); the navigator
// registers itself on a global `cytoscape` when it runs, so it is imported once that exists.
async function registerPlugins() {
  if (!pluginsRegistered) {
    pluginsRegistered = (async () => {
      cytoscape.use(cytoscapeDagre);
      cytoscape.use(window.cytoscapeEdgehandles);
      window.cytoscape = cytoscape;
      await import("../vendor/cytoscape-navigator/cytoscape-navigator.js");
    })();
  }
  return pluginsRegistered;
}

export const groupNodeId = (id) => `group:${id}`;
export const edgeId = (key) => `edge:${key}`;

/**
 * Create the canvas. `handlers`: onSelect(selection), onMoved(positions), onConnect(sourceId,
 * targetId, renderedPoint), onDrop(kind, position), onContextChange().
 */
export async function createCanvas({ container, area, handle, minimap, catalog, handlers }) {
  await registerPlugins();
  const icons = new Map(catalog.kinds.map((kind) => [kind.name, kind.icon]));
  const cy = cytoscape({
    container,
    style: canvasStyle(),
    boxSelectionEnabled: true,
    selectionType: "single",
    minZoom: 0.1,
    maxZoom: 3,
    textureOnViewport: false,
    motionBlur: false,
  });
  const canvas = new Canvas(cy, { area, handle, minimap, icons, handlers });
  return canvas;
}

class Canvas {
  constructor(cy, { area, handle, minimap, icons, handlers }) {
    this.cy = cy;
    this.area = area;
    this.handle = handle;
    this.minimap = minimap;
    this.icons = icons;
    this.handlers = handlers;
    this.document = null;
    this.findingClasses = new Map();
    this.selectionQueued = false;
    this.movedQueue = null;
    this.listen();
    this.setUpConnecting();
    this.setUpDropping();
    // The navigator takes its container as a selector string only. It redraws its thumbnail
    // (a cy.png of the whole graph) at most once a second: with 300 components a redraw costs
    // ~150 ms, and redrawing at every frame of a drag made dragging stutter (docs/designer.md).
    this.navigator = cy.navigator({
      container: `#${minimap.id}`,
      viewLiveFramerate: 0,
      rerenderDelay: 1000,
      removeCustomContainer: false,
    });
  }

  // --- Rendering from the model --------------------------------------------------------------

  /** Bring the graph in line with `document`; only what changed is touched. */
  sync(document) {
    const previous = this.document;
    this.document = document;
    const cy = this.cy;
    cy.batch(() => {
      const parentOf = new Map();
      for (const group of document.groups) {
        for (const member of group.members) parentOf.set(member, groupNodeId(group.id));
      }
      this.syncGroups(document.groups);
      const previousById = new Map((previous?.components || []).map((c) => [c.id, c]));
      const wanted = new Set();
      for (const component of document.components) {
        wanted.add(component.id);
        const parent = parentOf.get(component.id) || null;
        const node = cy.getElementById(component.id);
        if (node.empty()) {
          cy.add({
            group: "nodes",
            data: { id: component.id, kind: component.kind, label: labelOf(component), icon: this.iconOf(component.kind), parent },
            position: { ...(component.position || { x: 0, y: 0 }) },
            classes: "component",
          });
          continue;
        }
        if (previousById.get(component.id) !== component) {
          node.data({ kind: component.kind, label: labelOf(component), icon: this.iconOf(component.kind) });
          const position = component.position;
          const current = node.position();
          if (position && (position.x !== Math.round(current.x) || position.y !== Math.round(current.y))) {
            node.position({ ...position });
          }
        }
        const currentParent = node.parent().id() || null;
        if (currentParent !== parent) node.move({ parent });
      }
      cy.nodes(".component").forEach((node) => {
        if (!wanted.has(node.id())) node.remove();
      });
      this.syncEdges(document.connections);
      cy.nodes(".group").forEach((node) => {
        if (!document.groups.some((group) => groupNodeId(group.id) === node.id())) node.remove();
      });
    });
    // An empty design has nothing to navigate: the navigator's thumbnail would be a broken image.
    this.minimap.hidden = document.components.length === 0;
    this.applyFindingClasses();
  }

  syncGroups(groups) {
    for (const group of groups) {
      const id = groupNodeId(group.id);
      const node = this.cy.getElementById(id);
      const label = group.label || group.id;
      if (node.empty()) {
        this.cy.add({ group: "nodes", data: { id, groupId: group.id, label }, classes: "group" });
      } else if (node.data("label") !== label) {
        node.data("label", label);
      }
    }
  }

  syncEdges(connections) {
    const keys = connectionKeys(connections);
    const wanted = new Set();
    connections.forEach((connection, index) => {
      const id = edgeId(keys[index]);
      wanted.add(id);
      const edge = this.cy.getElementById(id);
      if (edge.nonempty()) {
        if (edge.data("label") !== connection.role) edge.data("label", connection.role);
        return;
      }
      this.cy.add({
        group: "edges",
        data: { id, key: keys[index], source: connection.source, target: connection.target, label: connection.role },
        classes: connectionClasses(connection.role),
      });
    });
    this.cy.edges().forEach((edge) => {
      if (edge.is(".eh-preview, .eh-ghost-edge, .keyboard-preview") || wanted.has(edge.id())) return;
      edge.remove();
    });
  }

  iconOf(kind) {
    return this.icons.get(kind) || this.icons.get("http") || "";
  }

  /** Components the document gives no position: they get one from a layout of the whole graph. */
  unplaced() {
    return this.document.components.filter((component) => !component.position).map((component) => component.id);
  }

  /** Finding badges: {badges: Map(badgeKey -> {errors, warnings})}; see findings.js. */
  showFindings(badges) {
    this.findingClasses = badges;
    this.applyFindingClasses();
  }

  applyFindingClasses() {
    this.cy.batch(() => {
      this.cy.elements(".finding-warning, .finding-error").removeClass("finding-warning finding-error");
      for (const [key, badge] of this.findingClasses) {
        const element = this.elementForBadge(key);
        if (element.empty()) continue;
        element.addClass(badge.errors ? "finding-error" : "finding-warning");
      }
    });
    this.renderBadges();
  }

  elementForBadge(key) {
    const [type, ...rest] = key.split(":");
    const id = rest.join(":");
    if (type === "component") return this.cy.getElementById(id);
    if (type === "connection") return this.cy.getElementById(edgeId(id));
    if (type === "group") return this.cy.getElementById(groupNodeId(id));
    return this.cy.collection();
  }

  /** Count badges over the components with findings (HTML, so they stay crisp and clickable). */
  renderBadges() {
    if (this.badgeFrame) return;
    this.badgeFrame = requestAnimationFrame(() => {
      this.badgeFrame = null;
      let layer = this.area.querySelector(".badges");
      if (!layer) {
        layer = document.createElement("div");
        layer.className = "badges";
        this.area.append(layer);
      }
      const badges = [];
      for (const [key, badge] of this.findingClasses) {
        if (!key.startsWith("component:")) continue;
        const node = this.elementForBadge(key);
        if (node.empty()) continue;
        const box = node.renderedBoundingBox({ includeLabels: false });
        const element = document.createElement("button");
        element.type = "button";
        element.className = `badge ${badge.errors ? "error" : "warning"}`;
        const count = badge.errors + badge.warnings;
        element.textContent = box.w < 40 ? "" : String(count);
        element.classList.toggle("small", box.w < 40);
        element.title = describeBadge(badge);
        element.dataset.component = node.id();
        element.style.left = `${box.x2 - 4}px`;
        element.style.top = `${box.y1 + 4}px`;
        badges.push(element);
      }
      layer.replaceChildren(...badges);
    });
  }

  // --- Gestures -------------------------------------------------------------------------------

  listen() {
    const cy = this.cy;
    cy.on("select unselect", () => this.queueSelection());
    cy.on("dragfree", "node", (event) => this.queueMoved(event.target));
    cy.on("viewport position resize", () => {
      this.renderBadges();
      this.hideHandle();
    });
    cy.on("add remove", () => this.renderBadges());
  }

  queueSelection() {
    if (this.selectionQueued) return;
    this.selectionQueued = true;
    queueMicrotask(() => {
      this.selectionQueued = false;
      this.handlers.onSelect(this.selection());
    });
  }

  selection() {
    const selected = this.cy.$(":selected");
    return {
      components: selected.nodes(".component").map((node) => node.id()),
      groups: selected.nodes(".group").map((node) => node.data("groupId")),
      connections: selected.edges().map((edge) => edge.data("key")),
    };
  }

  // One drag of several nodes (or of a group) ends with a dragfree per node: one move command.
  queueMoved(node) {
    if (!this.movedQueue) {
      this.movedQueue = new Set();
      setTimeout(() => {
        const nodes = this.movedQueue;
        this.movedQueue = null;
        this.handlers.onMoved(this.positionsOf(nodes));
      }, 0);
    }
    this.movedQueue.add(node);
  }

  positionsOf(nodes) {
    const positions = {};
    const add = (node) => {
      if (node.hasClass("component")) positions[node.id()] = { ...node.position() };
    };
    for (const node of nodes) {
      add(node);
      node.descendants().forEach(add);
    }
    // Components placed by a layout (no position in the document yet) keep where they are shown.
    for (const id of this.unplaced()) {
      if (!positions[id]) positions[id] = { ...this.cy.getElementById(id).position() };
    }
    return positions;
  }

  allPositions() {
    const positions = {};
    this.cy.nodes(".component").forEach((node) => {
      positions[node.id()] = { ...node.position() };
    });
    return positions;
  }

  setUpConnecting() {
    const cy = this.cy;
    this.edgehandles = cy.edgehandles({
      canConnect: (source, target) =>
        source.hasClass("component") && target.hasClass("component") && !source.same(target),
      edgeParams: () => ({ data: { label: "" } }),
      hoverDelay: 100,
      snap: true,
      snapThreshold: 24,
      noEdgeEventsInDraw: true,
      disableBrowserGestures: true,
    });
    cy.on("ehcomplete", (event, source, target, added) => {
      added.remove();
      const point = target.renderedPosition();
      this.handlers.onConnect(source.id(), target.id(), point);
    });
    cy.on("ehstop", () => {
      this.connecting = false;
    });
    cy.on("mouseover", "node.component", (event) => this.showHandle(event.target));
    cy.on("mouseout", "node.component", () => this.scheduleHideHandle());
    cy.on("grab tapstart", "node", () => {
      if (!this.connecting) this.hideHandle();
    });
    this.handle.addEventListener("mouseenter", () => clearTimeout(this.hideTimer));
    this.handle.addEventListener("mouseleave", () => this.scheduleHideHandle());
    this.handle.addEventListener("mousedown", (event) => {
      if (event.button !== 0 || !this.handleNode) return;
      event.preventDefault();
      event.stopPropagation();
      this.connecting = true;
      const node = this.handleNode;
      this.hideHandle();
      this.edgehandles.start(node);
      // The press began outside Cytoscape's canvas, so it sends no tapend: end the gesture here.
      window.addEventListener("mouseup", () => {
        if (this.connecting) this.edgehandles.stop();
      }, { once: true });
    });
  }

  showHandle(node) {
    if (this.connecting || node.grabbed()) return;
    clearTimeout(this.hideTimer);
    const box = node.renderedBoundingBox({ includeLabels: false });
    this.handleNode = node;
    // Just outside the right edge, so that it never covers the node (small when zoomed out).
    this.handle.style.left = `${box.x2 + 10}px`;
    this.handle.style.top = `${(box.y1 + box.y2) / 2}px`;
    this.handle.dataset.component = node.id();
    this.handle.hidden = false;
  }

  scheduleHideHandle() {
    clearTimeout(this.hideTimer);
    this.hideTimer = setTimeout(() => this.hideHandle(), 400);
  }

  hideHandle() {
    clearTimeout(this.hideTimer);
    this.handle.hidden = true;
    this.handleNode = null;
  }

  setUpDropping() {
    const area = this.area;
    area.addEventListener("dragover", (event) => {
      if (!event.dataTransfer.types.includes("application/x-wiretap-kind")) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      area.classList.add("drop-target");
    });
    area.addEventListener("dragleave", () => area.classList.remove("drop-target"));
    area.addEventListener("drop", (event) => {
      area.classList.remove("drop-target");
      const kind = event.dataTransfer.getData("application/x-wiretap-kind");
      if (!kind) return;
      event.preventDefault();
      const rect = this.cy.container().getBoundingClientRect();
      this.handlers.onDrop(kind, this.modelPoint({ x: event.clientX - rect.left, y: event.clientY - rect.top }));
    });
  }

  modelPoint(rendered) {
    const pan = this.cy.pan();
    const zoom = this.cy.zoom();
    return { x: (rendered.x - pan.x) / zoom, y: (rendered.y - pan.y) / zoom };
  }

  /** Where to put a component added without a drop point: the middle of the view, shifted. */
  freeSpot() {
    const extent = this.cy.extent();
    const spot = { x: (extent.x1 + extent.x2) / 2, y: (extent.y1 + extent.y2) / 2 };
    let step = 0;
    while (this.cy.nodes(".component").some((node) => near(node.position(), spot)) && step < 40) {
      spot.x += 30;
      spot.y += 30;
      step += 1;
    }
    return spot;
  }

  // --- Commands from the page ----------------------------------------------------------------

  select({ components = [], connections = [], groups = [] }) {
    this.cy.batch(() => {
      this.cy.elements().unselect();
      for (const id of components) this.cy.getElementById(id).select();
      for (const key of connections) this.cy.getElementById(edgeId(key)).select();
      for (const id of groups) this.cy.getElementById(groupNodeId(id)).select();
    });
  }

  selectAll() {
    this.cy.elements().select();
  }

  center(elementId) {
    const element = this.cy.getElementById(elementId);
    if (element.empty()) return;
    this.cy.animate({ center: { eles: element }, zoom: Math.max(this.cy.zoom(), 1) }, { duration: 250 });
  }

  fit() {
    const elements = this.cy.elements();
    if (elements.empty()) {
      this.cy.reset();
      return;
    }
    this.cy.fit(elements, 40);
    // A small design is not blown up to fill the screen: it stays at a readable size, centred.
    if (this.cy.zoom() > 1.25) {
      this.cy.zoom(1.25);
      this.cy.center(elements);
    }
  }

  /** Arrange left to right with dagre; resolves with the new positions of every component. */
  layout() {
    const layout = this.cy.elements().layout({
      name: "dagre",
      rankDir: "LR",
      nodeSep: 40,
      rankSep: 110,
      edgeSep: 10,
      fit: false,
      animate: false,
    });
    layout.run();
    return this.allPositions();
  }

  png() {
    return this.cy.png({ output: "blob", full: true, scale: 2, bg: "#ffffff" });
  }

  // --- Keyboard (keyboard.js) ------------------------------------------------------------------

  /** The ring around the component the keyboard is on; null takes it away. */
  showKeyboardFocus(id, { moving = false } = {}) {
    this.cy.batch(() => {
      this.cy.nodes(".keyboard-focus").removeClass("keyboard-focus keyboard-moving");
      if (id) this.cy.getElementById(id).addClass(moving ? "keyboard-focus keyboard-moving" : "keyboard-focus");
    });
  }

  keyboardFocused() {
    const ringed = this.cy.nodes(".keyboard-focus");
    return ringed.empty() ? null : ringed.id();
  }

  /** While connecting by keyboard: the source marked, a dashed arrow to the target. */
  showConnectPreview(sourceId, targetId) {
    this.cy.batch(() => {
      this.cy.remove(".keyboard-preview");
      this.cy.nodes(".connect-source").removeClass("connect-source");
      if (!sourceId) return;
      this.cy.getElementById(sourceId).addClass("connect-source");
      if (!targetId) return;
      this.cy.add({
        group: "edges",
        data: { id: "keyboard-preview", source: sourceId, target: targetId, label: "" },
        classes: "keyboard-preview",
      });
    });
  }

  /** Draw components at `positions` without reporting a move: a keyboard move in progress. */
  place(positions) {
    this.cy.batch(() => {
      for (const [id, position] of Object.entries(positions)) this.cy.getElementById(id).position({ ...position });
    });
  }

  /** Pan, at once, so that a component the keyboard reached is in view. */
  reveal(id) {
    const node = this.cy.getElementById(id);
    if (node.empty()) return;
    const box = node.renderedBoundingBox();
    const margin = 24;
    const inside = box.x1 >= margin && box.y1 >= margin &&
      box.x2 <= this.cy.width() - margin && box.y2 <= this.cy.height() - margin;
    if (!inside) this.cy.center(node);
  }

  /** Where a component is drawn inside the canvas (rendered coordinates). */
  renderedPoint(id) {
    return { ...this.cy.getElementById(id).renderedPosition() };
  }

  /** For the browser tests: where a component is on the screen (client coordinates). */
  screenBox(id) {
    const node = this.cy.getElementById(id);
    if (node.empty()) return null;
    const box = node.renderedBoundingBox({ includeLabels: false });
    const rect = this.cy.container().getBoundingClientRect();
    return { x: rect.left + box.x1, y: rect.top + box.y1, width: box.w, height: box.h };
  }
}

function labelOf(component) {
  return component.label ? `${component.id} · ${component.label}` : component.id;
}

function describeBadge(badge) {
  const parts = [];
  if (badge.errors) parts.push(`${badge.errors} error${badge.errors > 1 ? "s" : ""}`);
  if (badge.warnings) parts.push(`${badge.warnings} warning${badge.warnings > 1 ? "s" : ""}`);
  return parts.join(", ");
}

function near(a, b) {
  return Math.abs(a.x - b.x) < 40 && Math.abs(a.y - b.y) < 40;
}
