// The side panel's tabs, the findings list and the template explanation.

import { h } from "./dom.js";

export function setUpTabs(root) {
  const tabs = [...root.querySelectorAll('[role="tab"]')];
  const show = (tab) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    }
  };
  for (const tab of tabs) tab.addEventListener("click", () => show(tab));
  root.querySelector('[role="tablist"]').addEventListener("keydown", (event) => {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const visible = tabs.filter((tab) => !tab.hidden);
    const index = visible.indexOf(document.activeElement);
    const next = visible[(index + (event.key === "ArrowRight" ? 1 : visible.length - 1)) % visible.length];
    next.focus();
    show(next);
  });
  return { show: (id) => show(document.getElementById(id)) };
}

/** The findings list; `onPick(place)` when an item is clicked. */
export function renderFindings(list, counter, items, onPick) {
  const errors = items.filter(({ problem }) => problem.severity !== "warning").length;
  counter.textContent = items.length ? String(items.length) : "";
  counter.classList.toggle("has-errors", errors > 0);
  counter.title = `${errors} errors, ${items.length - errors} warnings`;
  if (!items.length) {
    list.replaceChildren(h("li", { className: "findings-empty" }, "No errors or warnings: this design follows the checked practices."));
    return;
  }
  list.replaceChildren(...items.map(({ problem, place }) => {
    const severity = problem.severity === "warning" ? "warning" : "error";
    return h("li", {},
      h("button", { type: "button", className: `finding ${severity}`, onClick: () => onPick(place) },
        h("span", { className: "finding-severity" }, severity), " ",
        h("span", { className: "finding-subject" }, problem.subject || "Design"), ": ",
        h("span", { className: "finding-message" }, problem.message),
        problem.why ? h("span", { className: "why" }, `Why: ${problem.why}`) : null,
        problem.fix ? h("span", { className: "fix" }, `Fix: ${problem.fix}`) : null));
  }));
}

/** A template's README as simple, safe HTML: headings, paragraphs, lists, **bold**, `code`. */
export function renderExplanation(container, template) {
  const blocks = template.explanation.replace(/\r/g, "").split(/\n{2,}/);
  const nodes = [];
  for (const block of blocks) {
    const heading = block.match(/^(#{1,4})\s+(.*)$/);
    if (heading) {
      nodes.push(h(heading[1].length === 1 ? "h2" : "h3", {}, ...inline(heading[2])));
      continue;
    }
    if (/^\s*[-*]\s/.test(block)) {
      const items = block.split(/\n(?=\s*[-*]\s)/).map((line) => h("li", {}, ...inline(line.replace(/^\s*[-*]\s+/, ""))));
      nodes.push(h("ul", {}, items));
      continue;
    }
    nodes.push(h("p", {}, ...inline(block.replace(/\n/g, " "))));
  }
  container.replaceChildren(...nodes);
}

function inline(text) {
  const parts = [];
  const pattern = /(\*\*[^*]+\*\*|`[^`]+`)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    const token = match[0];
    parts.push(token.startsWith("**") ? h("strong", {}, token.slice(2, -2)) : h("code", {}, token.slice(1, -1)));
    last = match.index + token.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}
