// The toolbar's files: importing a topology JSON file (an undoable replace of the design),
// exporting the design as JSON or as a PNG of the canvas.

import { exportFile, parseImport } from "./io.js";

/** Replace the design with the file chosen in `input`; a file that is not a topology is refused. */
export async function importFile(designer, input) {
  const file = input.files[0];
  input.value = "";
  if (!file) return;
  const { document, error } = parseImport(await file.text());
  if (error) {
    designer.toast(`${file.name} was not imported. ${error}`, { error: true });
    return;
  }
  designer.apply({ type: "replace", document, label: `import ${file.name}` });
  if (designer.canvas.unplaced().length) {
    const positions = designer.canvas.layout();
    designer.apply({ type: "move", positions, label: "auto-layout" });
  }
  designer.canvas.fit();
  designer.toast(`Imported ${file.name}; Undo brings the previous design back.`);
}

export function exportJson(design) {
  const file = exportFile(design);
  download(new Blob([file.text], { type: "application/json" }), file.name);
}

export function exportPng(design, canvas) {
  const base = exportFile(design).name.replace(/\.topology\.json$/, "");
  download(canvas.png(), `${base}.png`);
}

function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
