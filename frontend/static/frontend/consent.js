import { _, api, errorMessage, format, show } from "./api.js";
import { LANGUAGE_EVENT, switchLanguageInPlace } from "./language.js";

const root = document.getElementById("consent");
const errorBox = document.getElementById("consent-error");
const acceptButton = document.getElementById("accept");
const refuseButton = document.getElementById("refuse");
const guardian = document.getElementById("guardian");
// The text on screen and its language, as "I agree" records them: the customer agrees to the text
// they read, in the language they read it (a language switch in place loads the other one).
let shown = null;
// The language last asked for: the answer for an earlier switch, arriving late, is dropped.
let wanted = root.dataset.language;

function paragraphs(container, text) {
  container.replaceChildren(...text.split("\n").map((line) => {
    const p = document.createElement("p");
    p.textContent = line;
    return p;
  }));
}

async function loadText(kind, language, titleElement, bodyElement) {
  const url = `${root.dataset.textUrl}?kind=${kind}&language=${encodeURIComponent(language)}`;
  const result = await api(url);
  if (language !== wanted) return null;
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

async function showConsentText(language) {
  acceptButton.disabled = true;
  const title = document.getElementById("consent-title");
  const text = await loadText("face_processing", language, title, document.getElementById("consent-body"));
  if (!text) return;
  shown = { version: text.version, language };
  showVersion(text);
  acceptButton.disabled = false;
}

function showGuardianText(language) {
  return loadText("guardian", language, document.getElementById("guardian-title"), document.getElementById("guardian-body"));
}

function fail(error) {
  errorBox.textContent = errorMessage(error);
  show(errorBox, true);
  acceptButton.disabled = false;
  refuseButton.disabled = false;
}

acceptButton.addEventListener("click", async () => {
  if (!shown) return;
  show(errorBox, false);
  acceptButton.disabled = true;
  refuseButton.disabled = true;
  const payload = { consent_version: shown.version, language: shown.language };
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
    await showGuardianText(wanted);
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

// A language switch in place: the page's words change (language.js), and so do the texts to agree to.
document.addEventListener(LANGUAGE_EVENT, async ({ detail }) => {
  root.dataset.language = wanted = detail.language;
  shown = null;
  show(errorBox, false); // worded in the other language; a new try words it again
  await showConsentText(detail.language);
  if (!guardian.hidden) await showGuardianText(detail.language);
});
switchLanguageInPlace();
await showConsentText(wanted);
