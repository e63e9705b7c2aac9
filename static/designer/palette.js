// The palette: every kind of the catalog with its icon, filtered by the search box. Items are
// dragged onto the canvas (HTML drag and drop) or added with Enter.

export function createPalette({ list, search, kinds, onAdd }) {
  const items = kinds.map((kind) => paletteItem(kind, onAdd));
  list.replaceChildren(...items);
  const empty = document.createElement("li");
  empty.className = "palette-empty";
  empty.textContent = "No component matches.";
  empty.hidden = true;
  list.append(empty);

  search.addEventListener("input", () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    items.forEach((item, index) => {
      const text = searchText(kinds[index]);
      item.hidden = !words.every((word) => text.includes(word));
      if (!item.hidden) shown += 1;
    });
    empty.hidden = shown > 0;
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      const first = items.find((item) => !item.hidden);
      if (first) onAdd(first.dataset.kind);
    }
    if (event.key === "ArrowDown") {
      event.preventDefault();
      items.find((item) => !item.hidden)?.focus();
    }
  });
  list.addEventListener("keydown", (event) => {
    const visible = items.filter((item) => !item.hidden);
    const index = visible.indexOf(document.activeElement);
    if (index === -1) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = visible[index + (event.key === "ArrowDown" ? 1 : -1)];
      (next || (event.key === "ArrowUp" ? search : null))?.focus();
    }
  });
}

function searchText(kind) {
  return [kind.name, kind.title, kind.cloudformation_type || "", kind.description].join(" ").toLowerCase();
}

function paletteItem(kind, onAdd) {
  const item = document.createElement("li");
  item.className = "palette-item";
  item.draggable = true;
  item.tabIndex = 0;
  item.dataset.kind = kind.name;
  item.title = `${kind.title}${kind.cloudformation_type ? ` (${kind.cloudformation_type})` : ""}: ${kind.description}`;
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
      onAdd(kind.name);
    }
  });
  item.addEventListener("dblclick", () => onAdd(kind.name));
  return item;
}
