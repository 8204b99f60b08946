import { _, liveSocket, reasonLabels, stateLabel } from "./api.js";

const root = document.getElementById("result");
const TITLES = {
  approved: () => _("Approved: the number can be activated."),
  rejected: () => _("Rejected."),
  manual_review: () => _("Sent to a supervisor for review."),
  expired: () => _("This registration has expired."),
  cancelled: () => _("This registration was cancelled."),
};

// The reasons in words (api.js), never their codes: first those the page was rendered with, then each update's.
const showReasons = (reasons) => {
  document.getElementById("result-reasons").textContent = reasonLabels(reasons).join(" ") || "—";
};
showReasons(JSON.parse(document.getElementById("decision-reasons").textContent || "[]"));

liveSocket(root.dataset.sessionSocket, (message) => {
  if (message.type !== "session") return;
  const session = message.session;
  root.dataset.state = session.state;
  document.getElementById("result-title").textContent = TITLES[session.state] ? TITLES[session.state]() : _("In progress");
  const state = document.getElementById("result-state");
  state.textContent = stateLabel(session.state);
  state.className = `state state-${session.state}`;
  document.getElementById("result-attempts").textContent = String(session.attempt_count);
  showReasons(session.decision_reasons);
});
