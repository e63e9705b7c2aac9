// The designer by keyboard. The canvas is one focusable widget: arrow keys and Tab go from
// component to component (selecting it), Space adds to the selection, M moves, C connects,
// Enter opens the side panel, Delete deletes; each step is announced in the canvas's live
// region. The page's shortcuts (Ctrl+Z, F, L, G...) work wherever one is not typing.
// Which component comes next is navigation.js's, the words announce.js's: both DOM-free.

import {
  describeComponent,
  describeConnecting,
  describeDropped,
  describeMoving,
  describePosition,
  describePutBack,
  describeTarget,
} from "./announce.js";
import { findComponent } from "./model.js";
import {
  directionOfKey,
  moveStep,
  movedPositions,
  nearestInDirection,
  nextInReadingOrder,
  placesOf,
} from "./navigation.js";
import { connectionChoice } from "./roles.js";

const EMPTY_SELECTION = Object.freeze({ components: [], connections: [], groups: [] });

export class CanvasKeyboard {
  constructor(designer) {
    this.designer = designer;
    this.canvas = designer.canvas;
    this.element = designer.element("cy");
    this.area = designer.root.querySelector(".canvas-area");
    this.focused = null; // the component the keyboard is on
    this.mode = null; // {type: "move", ids, from} or {type: "connect", source, target}
    this.element.addEventListener("keydown", (event) => this.keydown(event));
    this.element.addEventListener("focus", () => this.focusArrived());
    this.element.addEventListener("blur", () => this.blurred());
    // Pointing with the mouse takes the rings away until the next key. Cytoscape's own press
    // handler (registered first, so run first) blurs whatever has the focus: the canvas takes it
    // back, so that keys still reach it after a click.
    this.element.addEventListener("mousedown", () => {
      this.pointing = true;
      this.element.focus({ preventScroll: true });
      this.pointing = false;
      this.showRings(false);
    });
  }

  // --- Focus -----------------------------------------------------------------------------------

  /** Put the keyboard on the canvas, on `id` (or the selection's component), and say `said`. */
  enter(id = null, said = null) {
    if (id) this.focused = id;
    this.element.focus();
    this.showRings(true);
    this.sayFocused();
    if (said) this.designer.announce(said);
  }

  focusArrived() {
    if (this.pointing || !this.element.matches(":focus-visible")) return;
    this.showRings(true);
    this.sayFocused();
  }

  sayFocused() {
    const components = this.canvas.selection().components;
    if (!this.exists(this.focused)) this.focused = components.at(-1) || nextInReadingOrder(this.places(), null);
    if (!this.focused) {
      this.designer.announce("The design is empty: add components from the palette (Enter adds the one focused there).");
      return;
    }
    this.showRings(this.keyboardUsed);
    this.say(this.focused);
  }

  blurred() {
    if (this.mode?.type === "move") this.drop();
    else if (this.mode?.type === "connect") this.endConnecting();
    this.showRings(false);
  }

  showRings(shown) {
    this.keyboardUsed = shown;
    this.area.classList.toggle("keyboard-focus", shown);
    const moving = this.mode?.type === "move";
    const ringed = this.mode?.type === "connect" ? this.mode.target : this.focused;
    this.canvas.showKeyboardFocus(shown ? ringed : null, { moving });
  }

  /** The selection changed (a click, a command): the keyboard goes to its one component. */
  selectionChanged(selection) {
    if (selection.components.length !== 1 || selection.components[0] === this.focused) return;
    this.focused = selection.components[0];
    this.showRings(this.keyboardUsed);
  }

  documentChanged(document) {
    if (this.mode?.type === "move") this.putBack({ quiet: true });
    if (this.mode?.type === "connect") this.endConnecting();
    if (this.focused && !findComponent(document, this.focused)) this.focused = null;
    this.showRings(this.keyboardUsed);
  }

  // --- Keys ------------------------------------------------------------------------------------

  keydown(event) {
    if (event.altKey || event.metaKey) return;
    this.showRings(true);
    let handled;
    if (event.ctrlKey) handled = !this.mode && this.ctrlKey(event);
    else if (this.mode?.type === "move") handled = this.moveKey(event);
    else if (this.mode?.type === "connect") handled = this.connectKey(event);
    else handled = this.browseKey(event);
    if (handled) {
      event.preventDefault();
      event.stopPropagation(); // the page's shortcuts (Escape, Delete) must not act on it again
    }
  }

  /** Ctrl+arrow: go to a component without selecting it (then Space adds it). */
  ctrlKey(event) {
    const direction = directionOfKey(event.key);
    if (!direction) return false;
    this.go(this.inDirection(this.focused, direction), direction, { select: false });
    return true;
  }

  browseKey(event) {
    const direction = directionOfKey(event.key);
    if (direction) return this.go(this.inDirection(this.focused, direction), direction), true;
    switch (event.key) {
      case "Tab": {
        // Past the last component (or before the first) Tab leaves the canvas as usual.
        const next = nextInReadingOrder(this.places(), this.focused, event.shiftKey ? -1 : 1);
        if (!next) return false;
        return this.go(next), true;
      }
      case "Home":
      case "End":
        return this.go(nextInReadingOrder(this.places(), null, event.key === "Home" ? 1 : -1)), true;
      case " ":
        return this.toggleSelected(), true;
      case "Enter":
        return this.openInspector(), true;
      case "Delete":
      case "Backspace":
        return this.deleteSelection(), true;
      case "Escape":
        this.canvas.select(EMPTY_SELECTION);
        this.designer.announce("Nothing selected.");
        return true;
      default:
        break;
    }
    const key = event.key.toLowerCase();
    if (key === "m" && !event.shiftKey) return this.startMoving(), true;
    if (key === "c" && !event.shiftKey) return this.startConnecting(), true;
    return false;
  }

  /** Go to component `id` (selecting it unless `select` is false); null: nothing that way. */
  go(id, direction = null, { select = true } = {}) {
    if (!id) {
      if (this.focused) this.designer.announce(`Nothing ${direction ? `${wordOf(direction)} ` : ""}of ${this.focused}.`);
      else this.sayFocused();
      return;
    }
    this.focused = id;
    if (select) this.canvas.select({ components: [id] });
    this.canvas.reveal(id);
    this.showRings(true);
    this.say(id);
  }

  say(id, prefix = "", suffix = "") {
    const selected = this.canvas.selection().components.includes(id);
    const badge = this.designer.findings.badges.get(`component:${id}`) || null;
    const words = describeComponent(this.designer.catalog, this.designer.model.document, id, { selected, badge });
    this.designer.announce(`${prefix ? `${prefix} ` : ""}${words}${suffix}`);
  }

  toggleSelected() {
    if (!this.focused) return;
    const selection = this.canvas.selection();
    const adding = !selection.components.includes(this.focused);
    const components = adding
      ? [...selection.components, this.focused]
      : selection.components.filter((id) => id !== this.focused);
    this.canvas.select({ ...selection, components });
    const total = components.length + selection.connections.length + selection.groups.length;
    if (adding) this.say(this.focused, "", total > 1 ? `, ${total} selected` : "");
    else this.designer.announce(`${this.focused} not selected, ${total} selected.`);
  }

  openInspector() {
    const selection = this.canvas.selection();
    const total = selection.components.length + selection.connections.length + selection.groups.length;
    if (total === 0 && this.focused) this.canvas.select({ components: [this.focused] });
    this.designer.openInspector();
  }

  deleteSelection() {
    const selection = this.canvas.selection();
    if (!selection.components.length && !selection.connections.length && !selection.groups.length) {
      this.designer.announce("Nothing is selected: Space selects the component the keyboard is on.");
      return;
    }
    // The keyboard stays nearby: on the next component in reading order, else the one before.
    const gone = new Set(selection.components);
    const remaining = this.places().filter((place) => !gone.has(place.id) || place.id === this.focused);
    const after = this.focused && gone.has(this.focused)
      ? nextInReadingOrder(remaining, this.focused, 1) || nextInReadingOrder(remaining, this.focused, -1)
      : this.focused;
    const said = this.designer.removeSelection();
    this.focused = after && !gone.has(after) ? after : null;
    this.showRings(true);
    if (this.focused) this.say(this.focused, `${said} Now on`);
  }

  // --- Moving ----------------------------------------------------------------------------------

  startMoving() {
    if (!this.focused) {
      this.designer.announce("Choose a component first: arrow keys or Tab.");
      return;
    }
    let ids = this.canvas.selection().components;
    if (!ids.includes(this.focused)) {
      ids = [this.focused];
      this.canvas.select({ components: ids });
    }
    const all = this.canvas.allPositions();
    this.mode = { type: "move", ids, from: Object.fromEntries(ids.map((id) => [id, all[id]])) };
    this.showRings(true);
    this.designer.announce(describeMoving(ids));
  }

  moveKey(event) {
    const direction = directionOfKey(event.key);
    const { ids } = this.mode;
    if (direction) {
      const positions = movedPositions(this.current(ids), ids, moveStep(direction, event.shiftKey));
      this.canvas.place(positions);
      this.canvas.reveal(this.focused);
      this.designer.announce(describePosition(ids, positions));
      return true;
    }
    if (event.key === "Escape") return this.putBack(), true;
    if (event.key === "Enter" || event.key === " " || event.key.toLowerCase() === "m") return this.drop(), true;
    if (event.key === "Tab") {
      this.drop();
      return this.browseKey(event);
    }
    return true; // nothing else while moving: Enter drops, Escape puts back
  }

  drop() {
    const { ids, from } = this.mode;
    this.mode = null;
    const positions = this.current(ids);
    const moved = ids.some((id) => Math.round(positions[id].x) !== Math.round(from[id].x) ||
      Math.round(positions[id].y) !== Math.round(from[id].y));
    this.showRings(this.keyboardUsed);
    if (moved) this.designer.moved(positions);
    this.designer.announce(describeDropped(ids, moved));
  }

  putBack({ quiet = false } = {}) {
    const { ids, from } = this.mode;
    this.mode = null;
    this.canvas.place(from);
    this.showRings(this.keyboardUsed);
    if (!quiet) this.designer.announce(describePutBack(ids));
  }

  current(ids) {
    const all = this.canvas.allPositions();
    return Object.fromEntries(ids.filter((id) => all[id]).map((id) => [id, all[id]]));
  }

  // --- Connecting ------------------------------------------------------------------------------

  startConnecting() {
    const source = this.focused;
    const others = this.places().filter((place) => place.id !== source);
    if (!source || !others.length) {
      this.designer.announce(source ? "There is nothing to connect to yet: add another component."
        : "Choose the component to connect from first: arrow keys or Tab.");
      return;
    }
    const target = nearestInDirection(this.places(), source, "right") || nextInReadingOrder(others, null);
    this.mode = { type: "connect", source, target };
    this.showTarget(describeConnecting(source));
  }

  connectKey(event) {
    const { source, target } = this.mode;
    const others = this.places().filter((place) => place.id !== source);
    const direction = directionOfKey(event.key);
    if (direction) {
      const next = nearestInDirection(others, target, direction);
      if (next) this.mode.target = next;
      this.showTarget(next ? "" : `Nothing ${wordOf(direction)} of ${target}.`);
      return true;
    }
    if (event.key === "Tab") {
      this.mode.target = nextInReadingOrder(others, target, event.shiftKey ? -1 : 1, { wrap: true });
      this.showTarget();
      return true;
    }
    if (event.key === "Escape") {
      this.endConnecting();
      this.designer.announce(`Not connected; back on ${source}.`);
      return true;
    }
    if (event.key === "Enter" || event.key === " ") return this.connectTo(source, target), true;
    return true; // nothing else while connecting: Enter connects, Escape cancels
  }

  showTarget(prefix = "") {
    const { source, target } = this.mode;
    this.canvas.showConnectPreview(source, target);
    this.canvas.reveal(target);
    this.showRings(true);
    const words = describeTarget(this.designer.catalog, this.designer.model.document, source, target);
    this.designer.announce(prefix ? `${prefix} ${words}` : words);
  }

  connectTo(source, target) {
    const document = this.designer.model.document;
    const choice = connectionChoice(this.designer.catalog, findComponent(document, source),
      findComponent(document, target), document.connections);
    if (choice.refusal) {
      // Still connecting: another target may do. The toast is an alert, read out as it shows.
      this.designer.toast(choice.refusal, { error: true });
      return;
    }
    const point = this.canvas.renderedPoint(target);
    this.endConnecting();
    this.designer.connect(source, target, point);
  }

  endConnecting() {
    this.mode = null;
    this.canvas.showConnectPreview(null, null);
    this.showRings(this.keyboardUsed);
  }

  // --- Geometry --------------------------------------------------------------------------------

  places() {
    return placesOf(this.canvas.allPositions());
  }

  inDirection(from, direction) {
    if (!this.exists(from)) return nextInReadingOrder(this.places(), null);
    return nearestInDirection(this.places(), from, direction);
  }

  exists(id) {
    return Boolean(id && findComponent(this.designer.model.document, id));
  }
}

function wordOf(direction) {
  return { left: "left", right: "right", up: "above", down: "below" }[direction];
}

/** The page's shortcuts, anywhere but in a field or a dialog (the canvas's own keys come first). */
export function setUpShortcuts(designer) {
  document.addEventListener("keydown", (event) => {
    if (document.querySelector("dialog[open]")) return;
    const ctrl = event.ctrlKey || event.metaKey;
    const key = event.key.toLowerCase();
    if (ctrl && key === "s") {
      event.preventDefault();
      designer.autosaver.flush();
      return;
    }
    if (isTyping(event.target) || !designer.element("role-menu").hidden) return;
    const handled = shortcut(designer, key, ctrl, event.shiftKey);
    if (handled) event.preventDefault();
  });
}

function shortcut(designer, key, ctrl, shift) {
  if (ctrl && key === "z") return shift ? designer.redo() || true : designer.undo() || true;
  if (ctrl && key === "y") return designer.redo() || true;
  if (ctrl && key === "c") return designer.copy();
  if (ctrl && key === "x") return designer.copy() && (designer.removeSelection(), true);
  if (ctrl && key === "v") return designer.paste(), true;
  if (ctrl && key === "a") return designer.canvas.selectAll(), true;
  if (ctrl || shift) return false;
  if (key === "delete" || key === "backspace") return designer.removeSelection(), true;
  if (key === "escape") return designer.canvas.select(EMPTY_SELECTION), true;
  if (key === "f") return designer.canvas.fit(), true;
  if (key === "l") return designer.layout(), true;
  if (key === "g") return designer.group(), true;
  if (key === "/") return designer.element("palette-search").focus(), true;
  return false;
}

function isTyping(target) {
  return Boolean(target.closest?.("input, textarea, select, [contenteditable=''], [contenteditable='true']"));
}
