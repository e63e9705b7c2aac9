// A save refused with 409 (someone saved a newer version meanwhile): the dialog that offers to
// reload theirs (an undoable replace: Undo brings mine back) or to save mine as a copy.

import { request } from "./api.js";

export function showConflict(designer, current) {
  const dialog = designer.element("conflict-dialog");
  dialog.querySelector('[data-field="theirs"]').textContent = String(current.version);
  dialog.querySelector('[data-field="author"]').textContent = current.author || "someone";
  dialog.oncancel = (event) => event.preventDefault(); // a choice must be made: Escape does not drop it
  dialog.querySelector('[data-choice="reload"]').onclick = () => {
    dialog.close();
    reloadTheirs(designer, current);
  };
  dialog.querySelector('[data-choice="copy"]').onclick = async () => {
    dialog.querySelector('[data-choice="copy"]').disabled = true;
    try {
      await saveAsCopy(designer);
    } catch (error) {
      dialog.querySelector('[data-choice="copy"]').disabled = false;
      designer.toast(`The copy was not saved: ${error.message}`, { error: true });
    }
  };
  if (!dialog.open) dialog.showModal();
}

// Theirs replaces the design as an undoable step: Undo brings mine back, to copy from.
function reloadTheirs(designer, current) {
  designer.version = current.version;
  designer.model.apply({ type: "replace", document: current.document, label: "reload the saved version" });
  designer.autosaver.resolved(designer.model.revision);
  designer.showFindings(current.findings || [], designer.model.document);
  designer.canvas.fit();
  designer.showSaveState("saved");
}

async function saveAsCopy(designer) {
  const document = designer.model.document;
  const name = `${document.name || "Design"} (my copy)`;
  const { data } = await request(designer.config.urls.topologies, {
    method: "POST",
    body: { name, document: { ...document, name } },
  });
  designer.leaving = true;
  window.location.assign(window.location.pathname.replace(/\/\d+\/?$/, `/${data.id}/`));
}
