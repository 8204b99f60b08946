// The outlet dashboard: today's sessions, updated live. A pushed change fetches the session's row
// as the server renders it (frontend/dashboard_row.html, the template of the page's own rows), so a
// live row and a reloaded one are the same markup, in the outlet's time zone and the page's language.
import { liveSocket } from "./api.js";

const root = document.getElementById("dashboard");
const rows = document.getElementById("dashboard-rows");
const latest = new Map(); // session id -> number of its newest fetch: an older answer is dropped

async function fetchRow(sessionId) {
  const url = root.dataset.rowUrl.replace("00000000-0000-0000-0000-000000000000", sessionId);
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!response.ok) return null;
  const holder = document.createElement("template");
  holder.innerHTML = (await response.text()).trim();
  return holder.content.querySelector("tr");
}

async function upsert(session) {
  const ticket = (latest.get(session.id) || 0) + 1;
  latest.set(session.id, ticket);
  let fresh;
  try {
    fresh = await fetchRow(session.id);
  } catch {
    return; // the socket re-opens and the next change brings the row
  }
  if (!fresh || latest.get(session.id) !== ticket) return;
  const row = rows.querySelector(`tr[data-session="${session.id}"]`);
  if (row) {
    row.replaceWith(fresh);
  } else {
    rows.querySelector("tr.empty")?.remove();
    rows.prepend(fresh);
  }
  fresh.classList.add("flash");
}

liveSocket(
  root.dataset.socket,
  (message) => {
    if (message.type === "session") upsert(message.session);
  },
  () => {
    root.dataset.live = "1";
  },
);
