// Autosave: a small state machine between the model's revisions and the server's versions.
// DOM-free (timers are injected): tests/js/autosave.test.js.
//
//   saved --change--> unsaved --800 ms quiet--> saving --ok--> saved (or unsaved if changed meanwhile)
//                                                      --409--> conflict (stops until resolved)
//                                                      --error--> error --retry/change--> saving
//
// `save()` must read the document to send synchronously, before its first await: the revision
// it answers for is the one current when it was called.

export const STATES = ["saved", "unsaved", "saving", "error", "conflict"];

export class Autosaver {
  constructor({ save, delayMs = 800, retryMs = 5000, timers = globalThis, onState = () => {} }) {
    this.save = save;
    this.delayMs = delayMs;
    this.retryMs = retryMs;
    this.timers = timers;
    this.onState = onState;
    this.state = "saved";
    this.message = "";
    this.savedRevision = 0;
    this.latestRevision = 0;
    this.timer = null;
    this.inFlight = null;
  }

  get hasUnsavedChanges() {
    return this.latestRevision !== this.savedRevision || this.state === "saving";
  }

  /** The design changed: save it once nothing has changed for `delayMs`. */
  changed(revision) {
    this.latestRevision = revision;
    if (this.state === "conflict") return;
    if (!this.inFlight) this.setState("unsaved");
    this.schedule(this.delayMs);
  }

  /** Save now (Ctrl+S, leaving the page); resolves when the save is done. */
  async flush() {
    this.cancelTimer();
    if (this.inFlight) await this.inFlight;
    if (this.state !== "conflict" && this.latestRevision !== this.savedRevision) await this.run();
  }

  /** After a conflict was settled (reloaded, or saved elsewhere) at this revision. */
  resolved(revision) {
    this.cancelTimer();
    this.latestRevision = revision;
    this.savedRevision = revision;
    this.setState("saved");
  }

  schedule(delay) {
    this.cancelTimer();
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      if (this.inFlight) return; // run() reschedules itself when the save in flight ends
      this.run();
    }, delay);
  }

  cancelTimer() {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  run() {
    const revision = this.latestRevision;
    this.setState("saving");
    this.inFlight = this.attempt(revision).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  async attempt(revision) {
    let result;
    try {
      result = await this.save(revision);
    } catch (error) {
      this.setState("error", error?.message || String(error));
      this.schedule(this.retryMs);
      return;
    }
    if (result?.status === "conflict") {
      this.cancelTimer();
      this.setState("conflict", result.message || "");
      return;
    }
    this.savedRevision = revision;
    if (this.latestRevision !== revision) {
      this.setState("unsaved");
      this.schedule(this.delayMs);
    } else {
      this.setState("saved");
    }
  }

  setState(state, message = "") {
    this.state = state;
    this.message = message;
    this.onState(state, message);
  }
}
