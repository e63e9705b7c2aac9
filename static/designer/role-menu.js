// The small menu that asks which role a new connection has, when a pair of kinds allows several.
// The mouse and the keyboard use the same one: it opens next to the target with the first role
// focused; arrow keys go through the roles, Enter picks one, Escape or Tab closes it.

import { h } from "./dom.js";

/**
 * Open the menu at `point` (rendered coordinates inside `area`). `onChoose(roleName)` when a role
 * is picked; `onClose(chosen)` whenever it closes, after onChoose if one was picked.
 */
export function chooseRole({ menu, area, point, source, target, roles, onChoose, onClose }) {
  const close = (chosen) => {
    menu.hidden = true;
    document.removeEventListener("mousedown", outside, true);
    onClose(chosen);
  };
  const outside = (event) => {
    if (!menu.contains(event.target)) close(false);
  };
  const buttons = roles.map((role) =>
    h("button", {
      type: "button",
      role: "menuitem",
      dataset: { role: role.name },
      onClick: () => {
        close(true);
        onChoose(role.name);
      },
    }, role.name, h("span", { className: "role-help" }, role.description)));
  menu.replaceChildren(h("h3", {}, `${source.id} → ${target.id}: which connection?`), ...buttons);
  menu.onkeydown = (event) => {
    const index = buttons.indexOf(document.activeElement);
    if (event.key === "Escape" || event.key === "Tab") {
      event.preventDefault();
      close(false);
    }
    if (event.key === "ArrowDown") buttons[(index + 1) % buttons.length].focus();
    if (event.key === "ArrowUp") buttons[(index + buttons.length - 1) % buttons.length].focus();
    if (event.key === "Home") buttons[0].focus();
    if (event.key === "End") buttons.at(-1).focus();
    if (event.key.startsWith("Arrow") || event.key === "Home" || event.key === "End") event.preventDefault();
  };
  menu.hidden = false;
  const left = Math.min(point.x + 16, area.clientWidth - menu.offsetWidth - 8);
  const top = Math.min(Math.max(point.y - 20, 8), area.clientHeight - menu.offsetHeight - 8);
  menu.style.left = `${Math.max(left, 8)}px`;
  menu.style.top = `${Math.max(top, 8)}px`;
  buttons[0].focus();
  document.addEventListener("mousedown", outside, true);
}
