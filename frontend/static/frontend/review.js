// The supervisor's decision: approve or reject with a required reason, confirmed in a dialog,
// then on to the next case in the queue.
import { _, api, errorMessage, format, reasonLabels, show } from "./api.js";
import { STEP_TEXT } from "./feedback.js";

const root = document.getElementById("review");
const form = document.getElementById("decision-form");
const dialog = document.getElementById("confirm");
const errorBox = document.getElementById("decision-error");

const reasons = (id) => JSON.parse(document.getElementById(id).textContent || "[]");
document.getElementById("liveness-reason-words").textContent = reasonLabels(reasons("liveness-reasons")).join(" ") || "—";
const decisionWords = document.getElementById("decision-reason-words");
if (decisionWords) decisionWords.textContent = reasonLabels(reasons("decision-reasons")).join(" ");
const whyByHand = document.getElementById("alternative-reason-words");
if (whyByHand) whyByHand.textContent = reasonLabels([whyByHand.dataset.reason]).join(" ");
document.querySelectorAll("#review-steps li[data-step]").forEach((item) => {
  const name = STEP_TEXT[item.dataset.step];
  if (name) item.firstChild.textContent = name();
});

function fail(text) {
  errorBox.textContent = text;
  show(errorBox, true);
}

if (form) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    show(errorBox, false);
    const decision = form.decision.value;
    const note = form.note.value.trim();
    if (!decision) return fail(_("Choose approve or reject."));
    if (!note) {
      form.note.focus();
      return fail(_("Write the reason: it is kept with the decision."));
    }
    document.getElementById("confirm-title").textContent = decision === "approved"
      ? _("Approve this registration? The number can then be activated.")
      : _("Reject this registration?");
    document.getElementById("confirm-note").textContent = format(_("Reason: %(note)s"), { note });
    dialog.showModal();
  });
  document.getElementById("confirm-no").addEventListener("click", () => dialog.close());
  document.getElementById("confirm-yes").addEventListener("click", async () => {
    const yes = document.getElementById("confirm-yes");
    yes.disabled = true;
    const result = await api(root.dataset.decisionUrl, {
      method: "POST",
      json: { decision: form.decision.value, note: form.note.value.trim() },
    });
    yes.disabled = false;
    dialog.close();
    if (result.ok) {
      root.dataset.state = result.data.state;
      window.location.assign(root.dataset.nextUrl);
      return;
    }
    fail(errorMessage(result.error));
  });
}
