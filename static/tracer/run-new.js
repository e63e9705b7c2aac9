// The "Run" page of a design: workload presets, the workload's JSON, seed, speed, and the Run
// button (POST /api/topologies/<id>/runs/, then the run's page). Only DOM wiring.
//
// The seed field is the run's seed: a preset's or a run's own seed is moved into it, out of the
// document, so an empty field means what it says (the server draws a random seed).

import { ApiError, request } from "../designer/api.js";

const config = JSON.parse(document.getElementById("run-new-config").textContent);
const list = document.getElementById("preset-list");
const editor = document.getElementById("workload");
const seedField = document.getElementById("seed");
const speedField = document.getElementById("speed");
const problems = document.getElementById("workload-problems");
const button = document.getElementById("run-button");

function choose(preset, { seed } = {}) {
  const { seed: own, ...workload } = preset.workload;
  editor.value = JSON.stringify(workload, null, 2);
  const chosen = seed ?? own;
  seedField.value = chosen === undefined || chosen === null ? "" : String(chosen);
  for (const input of list.querySelectorAll("input")) input.checked = input.value === preset.id;
}

function addPreset(preset) {
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

// "Run again": the run's own workload and seed, first and chosen.
const again = config.again
  ? { id: "again", workload: { ...config.again.workload, name: `As run ${config.again.run}`,
    description: `The workload of run ${config.again.run}, with its seed ${config.again.seed}.` } }
  : null;
const offered = again ? [again, ...config.presets] : config.presets;
for (const preset of offered) addPreset(preset);
if (again) {
  choose(again, { seed: config.again.seed });
  speedField.value = config.again.speed === null ? "max" : String(config.again.speed);
  if (!speedField.value) speedField.value = "10"; // a speed the list does not offer
} else if (offered.length) {
  choose(offered[0]); // the template's own workload when there is one: it shows the lesson
} else {
  list.textContent = "This design has no entry point to send messages to yet.";
}

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
  const seed = seedField.value.trim();
  if (seed !== "") {
    if (!/^\d+$/.test(seed)) {
      showProblems([{ pointer: "/seed", message: "must be a whole number of 0 or more (or empty for a random one)" }]);
      return;
    }
    // Seeds go up to 2**63 - 1, past what a JavaScript number holds exactly: sent as written.
    body.seed = typeof JSON.rawJSON === "function" ? JSON.rawJSON(seed) : Number(seed);
  }
  body.speed = speedField.value === "max" ? null : Number(speedField.value);
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
