// The designer page: loads the catalog and the topology, wires the model to the canvas, the
// palette, the side panel, the toolbar, the keyboard and autosave. Logic lives in the DOM-free
// modules (model, roles, schema-form, findings, autosave, io); this file only connects them.

import { describeAdded, describeConnected, describeDeleted } from "./announce.js";
import { ApiError, request } from "./api.js";
import { Autosaver } from "./autosave.js";
import { createCanvas, edgeId, groupNodeId } from "./canvas.js";
import { showConflict } from "./conflict.js";
import { exportJson, exportPng, importFile } from "./files.js";
import { placeFindings } from "./findings.js";
import { newComponentId, numberedId } from "./ids.js";
import { renderInspector } from "./inspector.js";
import { copySelection, pasteCommand } from "./io.js";
import { CanvasKeyboard, setUpShortcuts } from "./keyboard.js";
import { DesignModel, ModelError, findComponent, takenIds } from "./model.js";
import { createPalette } from "./palette.js";
import { chooseRole } from "./role-menu.js";
import { connectionChoice } from "./roles.js";
import { renderExplanation, renderFindings, setUpTabs } from "./sidepanel.js";

const SAVE_TEXT = {
  loading: "Loading…",
  saved: "Saved",
  unsaved: "Unsaved changes",
  saving: "Saving…",
  error: "Not saved",
  conflict: "Conflict: not saved",
};

const EMPTY_SELECTION = Object.freeze({ components: [], connections: [], groups: [] });

class Designer {
  constructor(config) {
    this.config = config;
    this.root = document.getElementById("designer");
    this.element = (id) => document.getElementById(id);
    this.selection = EMPTY_SELECTION;
    this.findings = { items: [], badges: new Map() };
    this.clipboard = null;
    this.pasteCount = 0;
    this.leaving = false;
    this.timings = {};
  }

  async start() {
    const started = performance.now();
    const [catalog, topology] = await Promise.all([
      request(this.config.urls.catalog),
      request(this.config.urls.topology),
    ]);
    this.catalog = catalog.data;
    this.version = topology.data.version;
    this.model = new DesignModel(topology.data.document);
    this.canvas = await createCanvas({
      container: this.element("cy"),
      area: this.root.querySelector(".canvas-area"),
      handle: this.element("connect-handle"),
      minimap: this.element("minimap"),
      catalog: this.catalog,
      handlers: {
        onSelect: (selection) => this.selected(selection),
        onMoved: (positions) => this.moved(positions),
        onConnect: (source, target, point) => this.connect(source, target, point),
        onDrop: (kind, position) => this.add(kind, position),
      },
    });
    this.canvas.sync(this.model.document);
    if (this.canvas.unplaced().length) this.canvas.layout();
    this.canvas.fit();
    this.showFindings(topology.data.findings || [], this.model.document);
    this.timings.render = performance.now() - started;

    this.autosaver = new Autosaver({
      save: () => this.save(),
      onState: (state, message) => this.showSaveState(state, message),
    });
    this.model.subscribe((change) => this.changed(change));
    this.showSaveState("saved");
    this.setUpPage();
    this.refresh();
  }

  setUpPage() {
    createPalette({
      list: this.element("palette-list"),
      search: this.element("palette-search"),
      kinds: this.catalog.kinds,
      onAdd: (kind, { keyboard }) => this.addFromPalette(kind, keyboard),
    });
    this.tabs = setUpTabs(this.root.querySelector(".sidepanel"));
    this.keyboard = new CanvasKeyboard(this);
    this.setUpToolbar();
    setUpShortcuts(this);
    // Escape anywhere in the side panel takes the keyboard back to the canvas, where it was.
    this.root.querySelector(".sidepanel").addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || document.querySelector("dialog[open]")) return;
      event.stopPropagation();
      this.keyboard.enter();
    });
    this.setUpTemplate();
    this.root.querySelector(".canvas-area").addEventListener("click", (event) => {
      const badge = event.target.closest(".badge");
      if (badge) this.pick({ type: "component", id: badge.dataset.component }, { showList: true });
    });
    window.addEventListener("beforeunload", (event) => {
      if (this.leaving || !this.autosaver.hasUnsavedChanges) return;
      event.preventDefault();
      event.returnValue = "";
    });
  }

  // --- Model changes ---------------------------------------------------------------------------

  /** Apply a command; a refused one is shown as a message. Returns the message or null. */
  apply(command) {
    try {
      this.model.apply(command);
      // The renamed component is a new node on the canvas: keep it selected.
      if (command.type === "rename") this.canvas.select({ components: [command.to] });
      return null;
    } catch (error) {
      if (!(error instanceof ModelError)) throw error;
      this.toast(error.message, { error: true });
      return error.message;
    }
  }

  changed({ document }) {
    this.canvas.sync(document);
    this.keyboard?.documentChanged(document);
    this.autosaver.changed(this.model.revision);
    this.selection = this.canvas.selection();
    this.refresh();
  }

  refresh() {
    const model = this.model;
    const undo = this.root.querySelector('[data-action="undo"]');
    const redo = this.root.querySelector('[data-action="redo"]');
    undo.disabled = !model.canUndo;
    redo.disabled = !model.canRedo;
    undo.title = model.canUndo ? `Undo ${model.undoLabel} (Ctrl+Z)` : "Nothing to undo";
    redo.title = model.canRedo ? `Redo ${model.redoLabel} (Ctrl+Shift+Z)` : "Nothing to redo";
    const name = this.element("design-name");
    if (document.activeElement !== name) name.value = model.document.name || "";
    this.element("empty-hint").hidden = model.document.components.length > 0;
    this.root.querySelector('[data-action="group"]').disabled = this.selection.components.length === 0;
    this.root.querySelector('[data-action="ungroup"]').disabled = this.selection.groups.length === 0;
    this.renderInspectorSoon();
  }

  // Deferred so that a field's change event finishes (and focus moves on) before the form is
  // rebuilt; the focused field is found again by its key.
  renderInspectorSoon() {
    if (this.inspectorQueued) return;
    this.inspectorQueued = true;
    setTimeout(() => {
      this.inspectorQueued = false;
      renderInspector(this.element("inspector"), {
        document: this.model.document,
        selection: this.selection,
        catalog: this.catalog,
        findings: this.findings.items,
        apply: (command) => this.apply(command),
        actions: {
          group: () => this.group(),
          ungroup: (id) => this.apply({ type: "ungroup", id }),
          remove: () => this.removeSelection(),
          select: (selection) => this.canvas.select(selection),
          open: (selection) => {
            this.canvas.select(selection);
            this.openInspector();
          },
        },
      });
      if (this.focusInspector) {
        this.focusInspector = false;
        this.element("inspector").querySelector("input, select, textarea, button")?.focus();
      }
    }, 0);
  }

  /** Enter on the canvas: the side panel's form for the selection, its first field focused. */
  openInspector() {
    this.tabs.show("tab-inspector");
    this.focusInspector = true;
    // The selection reaches this.selection in a microtask (canvas.js): render after it.
    queueMicrotask(() => {
      this.selection = this.canvas.selection();
      this.renderInspectorSoon();
    });
  }

  selected(selection) {
    this.selection = selection;
    this.keyboard?.selectionChanged(selection);
    this.refresh();
    const total = selection.components.length + selection.connections.length + selection.groups.length;
    if (total > 0) this.tabs.show("tab-inspector");
  }

  // --- Gestures -------------------------------------------------------------------------------

  /** Add a component of `kind` at `position`, selected; returns its id, or null if refused. */
  add(kind, position) {
    const id = newComponentId(kind, takenIds(this.model.document));
    if (this.apply({ type: "add", components: [{ id, kind, position }] }) !== null) return null;
    this.canvas.select({ components: [id] });
    return id;
  }

  // Added by keyboard, the component is where the keyboard goes next: to place or connect it.
  addFromPalette(kind, keyboard) {
    const id = this.add(kind, this.canvas.freeSpot());
    if (!id) return;
    const said = describeAdded(this.catalog, { id, kind });
    if (keyboard) this.keyboard.enter(id, `${said} Arrow keys go to the others, M moves it, C connects it.`);
    else this.announce(said);
  }

  moved(positions) {
    const changed = {};
    for (const [id, position] of Object.entries(positions)) {
      const current = findComponent(this.model.document, id)?.position;
      if (!current || current.x !== Math.round(position.x) || current.y !== Math.round(position.y)) {
        changed[id] = position;
      }
    }
    if (Object.keys(changed).length) this.apply({ type: "move", positions: changed });
  }

  connect(sourceId, targetId, point) {
    const document = this.model.document;
    const source = findComponent(document, sourceId);
    const target = findComponent(document, targetId);
    const choice = connectionChoice(this.catalog, source, target, document.connections);
    if (choice.refusal) {
      this.toast(choice.refusal, { error: true });
      return;
    }
    const make = (role) => {
      const connection = { source: sourceId, target: targetId, role };
      if (this.apply({ type: "connect", connection }) === null) {
        this.canvas.select({ connections: [`${sourceId}>${targetId}>${role}`] });
        this.announce(`${describeConnected(connection)}. Enter edits the connection, Delete removes it.`);
      }
    };
    if (choice.roles.length === 1) {
      make(choice.roles[0].name);
      return;
    }
    chooseRole({
      menu: this.element("role-menu"),
      area: this.root.querySelector(".canvas-area"),
      point,
      source,
      target,
      roles: choice.roles,
      onChoose: make,
      onClose: (chosen) => {
        this.element("cy").focus();
        if (!chosen) this.announce(`No connection made from ${sourceId} to ${targetId}.`);
      },
    });
  }

  /** Delete what is selected; returns what the live region then says ("" if nothing was). */
  removeSelection() {
    const { components, connections, groups } = this.canvas.selection();
    if (!components.length && !connections.length && !groups.length) return "";
    const label = groups.length && !components.length ? "ungroup" : "delete";
    if (this.apply({ type: "remove", components, connections, groups, label }) !== null) return "";
    const said = describeDeleted({ components, connections, groups });
    this.announce(said);
    return said;
  }

  undo() {
    const label = this.model.undoLabel;
    const done = this.model.undo();
    if (done) this.announce(`Undid ${label}.`);
    return done;
  }

  redo() {
    const label = this.model.redoLabel;
    const done = this.model.redo();
    if (done) this.announce(`Redid ${label}.`);
    return done;
  }

  group() {
    const members = this.selection.components;
    if (!members.length) {
      this.toast("Select the components to group first (Shift+drag draws a selection box).");
      return;
    }
    const id = numberedId("Group", takenIds(this.model.document));
    if (this.apply({ type: "group", id, label: "", members }) === null) this.canvas.select({ groups: [id] });
  }

  ungroup() {
    if (this.selection.groups.length) this.apply({ type: "remove", groups: this.selection.groups, label: "ungroup" });
  }

  copy() {
    if (!this.selection.components.length) return false;
    this.clipboard = copySelection(this.model.document, this.selection.components);
    this.pasteCount = 0;
    this.toast(`Copied ${this.clipboard.components.length} component(s).`);
    return true;
  }

  paste() {
    if (!this.clipboard) return;
    this.pasteCount += 1;
    const offset = { x: 40 * this.pasteCount, y: 40 * this.pasteCount };
    const { command, ids } = pasteCommand(this.model.document, this.clipboard, offset);
    command.label = `paste ${ids.length} component(s)`;
    if (this.apply(command) === null) this.canvas.select({ components: ids });
  }

  layout() {
    const positions = this.canvas.layout();
    this.apply({ type: "move", positions, label: "auto-layout" });
    this.canvas.fit();
  }

  // --- Findings -------------------------------------------------------------------------------

  showFindings(problems, document) {
    this.problems = problems;
    this.findings = placeFindings(problems, document);
    this.canvas.showFindings(this.findings.badges);
    renderFindings(this.element("findings-list"), this.element("findings-count"), this.findings.items,
      (place) => this.pick(place));
    this.renderInspectorSoon();
  }

  /** Select and center what a finding points at. */
  pick(place, { showList = false } = {}) {
    if (place.type === "component") {
      this.canvas.select({ components: [place.id] });
      this.canvas.center(place.id);
    } else if (place.type === "connection") {
      this.canvas.select({ connections: [place.key] });
      this.canvas.center(edgeId(place.key));
    } else if (place.type === "group") {
      this.canvas.select({ groups: [place.id] });
      this.canvas.center(groupNodeId(place.id));
    }
    this.tabs.show(showList ? "tab-findings" : "tab-inspector");
  }

  // --- Saving ---------------------------------------------------------------------------------

  async save() {
    const document = this.model.document;
    const body = { version: this.version, document };
    if (document.name) body.name = document.name;
    const { status, data } = await request(this.config.urls.topology, { method: "PUT", body });
    if (status === 409) {
      showConflict(this, data.current);
      return { status: "conflict", message: data.message };
    }
    this.version = data.version;
    this.showFindings(data.findings || [], document);
    return { status: "saved" };
  }

  showSaveState(state, message = "") {
    this.root.dataset.saveState = state;
    const text = state === "saved" ? `Saved · version ${this.version}` : SAVE_TEXT[state];
    const label = this.element("save-state");
    label.textContent = state === "error" && message ? `${text}: ${message}` : text;
    label.title = state === "error" ? "Retrying in a few seconds; your changes are kept in this page." : "";
  }

  // --- Toolbar, files and keyboard ------------------------------------------------------------

  setUpToolbar() {
    const actions = {
      undo: () => this.undo(),
      redo: () => this.redo(),
      fit: () => this.canvas.fit(),
      layout: () => this.layout(),
      group: () => this.group(),
      ungroup: () => this.ungroup(),
      import: () => this.element("import-file").click(),
      "export-json": () => exportJson(this.model.document),
      "export-png": () => exportPng(this.model.document, this.canvas),
    };
    this.root.querySelector(".toolbar").addEventListener("click", (event) => {
      const button = event.target.closest("[data-action]");
      if (button && actions[button.dataset.action]) actions[button.dataset.action]();
    });
    const name = this.element("design-name");
    name.addEventListener("change", () => {
      const value = name.value.trim();
      if (value && value !== this.model.document.name) this.apply({ type: "setName", name: value });
      else name.value = this.model.document.name || "";
    });
    name.addEventListener("keydown", (event) => {
      if (event.key === "Enter") name.blur();
    });
    this.element("import-file").addEventListener("change", (event) => importFile(this, event.target));
  }

  setUpTemplate() {
    const templates = this.catalog.templates || [];
    const template =
      templates.find((t) => t.id === this.config.template) ||
      templates.find((t) => t.topology?.name && t.topology.name === this.model.document.name);
    if (!template || !template.explanation) return;
    renderExplanation(this.element("template-info"), template);
    this.element("tab-template").hidden = false;
  }

  /** Say `text` in the canvas's live region (said again even when it repeats). */
  announce(text) {
    const region = this.element("canvas-announcer");
    this.announced = !this.announced;
    // A trailing no-break space, every other time: the same words twice are a change to read.
    region.textContent = this.announced ? text : `${text}\u00a0`;
  }

  toast(message, { error = false } = {}) {
    const toast = this.element("toast");
    toast.textContent = message;
    toast.classList.toggle("error", error);
    toast.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => {
      toast.hidden = true;
    }, error ? 7000 : 3500);
  }
}

async function main() {
  const config = JSON.parse(document.getElementById("designer-config").textContent);
  const designer = new Designer(config);
  try {
    await designer.start();
  } catch (error) {
    const text = error instanceof ApiError ? error.message : `The designer could not start: ${error.message}`;
    document.getElementById("save-state").textContent = text;
    document.getElementById("designer").dataset.saveState = "error";
    throw error;
  }
  // Read-only hook for the browser tests (tests/browser/test_designer.py) and the 300-component
  // measurement: it exposes copies and measurements, never a way to change the design.
  window.wiretapDesigner = Object.freeze({
    get document() {
      return structuredClone(designer.model.document);
    },
    get version() {
      return designer.version;
    },
    get saveState() {
      return designer.root.dataset.saveState;
    },
    get problems() {
      return structuredClone(designer.problems || []);
    },
    get timings() {
      return { ...designer.timings };
    },
    /** The component drawn with the keyboard's focus ring, or null. */
    get keyboardFocus() {
      return designer.canvas.keyboardFocused();
    },
    screenBox: (id) => designer.canvas.screenBox(id),
  });
}

main();
