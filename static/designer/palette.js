// The palette: every kind of the catalog with its icon, filtered by the search box. Items are
// dragged onto the canvas (HTML drag and drop), or added with Enter or Space. The list is one
// stop for Tab (the item last reached); the arrow keys, Home and End go through it.

export function createPalette({ list, search, kinds, onAdd }) {
  const entries = kinds.map((kind) => paletteEntry(kind, onAdd));
  const items = entries.map((entry) => entry.firstElementChild);
  list.replaceChildren(...entries);
  const empty = document.createElement("li");
  empty.className = "palette-empty";
  empty.textContent = "No component matches.";
  empty.hidden = true;
  list.append(empty);
  let current = items[0];
  const visible = () => items.filter((item) => !item.parentElement.hidden);
  const makeCurrent = (item) => {
    for (const other of items) other.tabIndex = other === item ? 0 : -1;
    current = item;
  };
  makeCurrent(current);

  search.addEventListener("input", () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    items.forEach((item, index) => {
      const text = searchText(kinds[index]);
      item.parentElement.hidden = !words.every((word) => text.includes(word));
    });
    const shown = visible();
    empty.hidden = shown.length > 0;
    if (shown.length && !shown.includes(current)) makeCurrent(shown[0]);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      const first = visible()[0];
      if (first) onAdd(first.dataset.kind, { keyboard: true });
    }
    if (event.key === "ArrowDown") {
      event.preventDefault();
      visible()[0]?.focus();
    }
  });
  list.addEventListener("focusin", (event) => {
    if (items.includes(event.target)) makeCurrent(event.target);
  });
  list.addEventListener("keydown", (event) => {
    const shown = visible();
    const index = shown.indexOf(document.activeElement);
    if (index === -1) return;
    const next = {
      ArrowDown: shown[index + 1],
      ArrowUp: index === 0 ? search : shown[index - 1],
      Home: shown[0],
      End: shown.at(-1),
    }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    next.focus();
  });
}

function searchText(kind) {
  return [kind.name, kind.title, kind.cloudformation_type || "", kind.description].join(" ").toLowerCase();
}

// A real <button> cannot be dragged in Firefox (bugzilla.mozilla.org 568313), so the item is an
// element with the button role, answering Enter and Space as a button does.
function paletteEntry(kind, onAdd) {
  const entry = document.createElement("li");
  const item = document.createElement("div");
  item.className = "palette-item";
  item.setAttribute("role", "button");
  item.draggable = true;
  item.tabIndex = -1;
  item.dataset.kind = kind.name;
  item.title = `${kind.title}${kind.cloudformation_type ? ` (${kind.cloudformation_type})` : ""}: ${kind.description}`;
  item.setAttribute("aria-label", `Add ${kind.title}`);
  const icon = document.createElement("img");
  icon.src = kind.icon;
  icon.alt = "";
  icon.draggable = false;
  const title = document.createElement("span");
  title.className = "title";
  title.textContent = kind.title;
  item.append(icon, title);
  item.addEventListener("dragstart", (event) => {
    event.dataTransfer.setData("application/x-wiretap-kind", kind.name);
    event.dataTransfer.effectAllowed = "copy";
    event.dataTransfer.setDragImage(icon, 16, 16);
  });
  item.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      onAdd(kind.name, { keyboard: true });
    }
  });
  item.addEventListener("dblclick", () => onAdd(kind.name, { keyboard: false }));
  entry.append(item);
  return entry;
}
