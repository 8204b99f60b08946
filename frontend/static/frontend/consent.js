import { _, api, errorMessage, format, show } from "./api.js";

const root = document.getElementById("consent");
const errorBox = document.getElementById("consent-error");
const acceptButton = document.getElementById("accept");
const refuseButton = document.getElementById("refuse");
const guardian = document.getElementById("guardian");
let version = null;

function paragraphs(container, text) {
  container.replaceChildren(...text.split("\n").map((line) => {
    const p = document.createElement("p");
    p.textContent = line;
    return p;
  }));
}

async function loadText(kind, titleElement, bodyElement) {
  const url = `${root.dataset.textUrl}?kind=${kind}&language=${encodeURIComponent(root.dataset.language)}`;
  const result = await api(url);
  if (!result.ok) {
    errorBox.textContent = errorMessage(result.error);
    show(errorBox, true);
    return null;
  }
  titleElement.textContent = result.data.title;
  paragraphs(bodyElement, result.data.body);
  return result.data;
}

// The version and publication date of the text the customer reads, as the record keeps them.
function showVersion(text) {
  document.getElementById("consent-version").textContent = format(
    _("Consent text version %(version)s, published %(date)s"),
    { version: text.version, date: text.published_at.slice(0, 10) },
  );
}

function fail(error) {
  errorBox.textContent = errorMessage(error);
  show(errorBox, true);
  acceptButton.disabled = false;
  refuseButton.disabled = false;
}

acceptButton.addEventListener("click", async () => {
  show(errorBox, false);
  acceptButton.disabled = true;
  refuseButton.disabled = true;
  const payload = { consent_version: version, language: root.dataset.language };
  if (!guardian.hidden) {
    payload.guardian_name = guardian.querySelector("[name=guardian_name]").value;
    payload.guardian_document_type = guardian.querySelector("[name=guardian_document_type]").value;
    payload.guardian_document_number = guardian.querySelector("[name=guardian_document_number]").value;
    const born = guardian.querySelector("[name=guardian_birth_date]").value;
    if (born) payload.guardian_birth_date = born;
  }
  const result = await api(root.dataset.consentUrl, { method: "POST", json: payload });
  if (result.ok) {
    window.location.assign(root.dataset.next);
    return;
  }
  if (result.error.code === "guardian_required" && guardian.hidden) {
    // The customer is a minor: the API asks for the guardian; show their text and fields.
    await loadText("guardian", document.getElementById("guardian-title"), document.getElementById("guardian-body"));
    show(guardian, true);
  }
  fail(result.error);
});

// "I refuse" asks once more before it is sent (it cannot be taken back then): the customer can undo.
const choice = document.getElementById("choice");
const refuseConfirm = document.getElementById("refuse-confirm");

function confirming(visible) {
  show(choice, !visible);
  show(refuseConfirm, visible);
}

refuseButton.addEventListener("click", () => {
  show(errorBox, false);
  confirming(true);
  document.getElementById("refuse-undo").focus();
});

document.getElementById("refuse-undo").addEventListener("click", () => confirming(false));

document.getElementById("refuse-confirmed").addEventListener("click", async () => {
  confirming(false);
  acceptButton.disabled = true;
  refuseButton.disabled = true;
  const result = await api(root.dataset.alternativeUrl, {
    method: "POST",
    json: { reason: "customer_refused_face_processing" },
  });
  if (result.ok) {
    window.location.assign(root.dataset.alternativeNext);
    return;
  }
  fail(result.error);
});

const text = await loadText("face_processing", document.getElementById("consent-title"), document.getElementById("consent-body"));
if (text) {
  version = text.version;
  showVersion(text);
  acceptButton.disabled = false;
}
