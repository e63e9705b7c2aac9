// The "Run" page of a design: workload presets, the workload's JSON, seed, speed, and the Run
// button (POST /api/topologies/<id>/runs/, then the run's page). Only DOM wiring.

import { ApiError, request } from "../designer/api.js";

const config = JSON.parse(document.getElementById("run-new-config").textContent);
const list = document.getElementById("preset-list");
const editor = document.getElementById("workload");
const problems = document.getElementById("workload-problems");
const button = document.getElementById("run-button");

function choose(preset) {
  editor.value = JSON.stringify(preset.workload, null, 2);
  for (const input of list.querySelectorAll("input")) input.checked = input.value === preset.id;
}

for (const preset of config.presets) {
  const label = document.createElement("label");
  label.className = "preset";
  const input = document.createElement("input");
  input.type = "radio";
  input.name = "preset";
  input.value = preset.id;
  input.addEventListener("change", () => choose(preset));
  const title = document.createElement("strong");
  title.textContent = preset.workload.name || preset.id;
  const text = document.createElement("span");
  text.textContent = preset.workload.description || "";
  label.append(input, title, text);
  list.append(label);
}
if (config.presets.length) choose(config.presets.find((p) => p.id === "spike") || config.presets[0]);
else list.textContent = "This design has no entry point to send messages to yet.";

function showProblems(items) {
  problems.replaceChildren(...items.map((problem) => {
    const li = document.createElement("li");
    li.textContent = problem.pointer ? `${problem.pointer}: ${problem.message}` : problem.message || String(problem);
    return li;
  }));
  problems.hidden = items.length === 0;
}

document.getElementById("run-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  let workload;
  try {
    workload = JSON.parse(editor.value);
  } catch (error) {
    showProblems([{ message: `The workload is not valid JSON: ${error.message}` }]);
    return;
  }
  const body = { workload };
  const seed = document.getElementById("seed").value;
  if (seed !== "") body.seed = Number(seed);
  const speed = document.getElementById("speed").value;
  body.speed = speed === "max" ? null : Number(speed);
  button.disabled = true;
  button.textContent = "Starting…";
  try {
    const { data } = await request(config.urls.start, { method: "POST", body });
    window.location.assign(config.urls.run_page.replace("{id}", data.id));
  } catch (error) {
    const items = error instanceof ApiError && error.data?.problems ? error.data.problems : [{ message: error.message }];
    showProblems(items);
    button.disabled = false;
    button.textContent = "Run";
  }
});
