// The top bar's language switch without a reload, on a page that opts in: the customer's screens
// (the handover; the consent, whose texts to agree to follow the event; the live check, where a
// reload would interrupt a running attempt). The server is told (the next page and the pushed words
// follow), the script words come from the new language's catalogue, the server's words of this page
// are copied from the page rendered again in that language, and the page's own script re-sets its
// words on the `LANGUAGE_EVENT`. The template stays the one owner of its words: elements marked
// `data-i18n="key"` take the text of their twin (or, with `data-i18n-attr`, that attribute only).

export const LANGUAGE_EVENT = "shiming:language";
// Data the page's script reads in the page's language: a JSON script with this id is copied too.
const WORD_DATA = ["state-labels", "prompt-audio"];

// Copies the server's words of `fresh` (the page in the new language) into `current`; a marked
// element with no twin keeps its words.
export function swapWords(current, fresh) {
  for (const element of current.querySelectorAll("[data-i18n]")) {
    const twin = fresh.querySelector(`[data-i18n="${element.dataset.i18n}"]`);
    if (!twin) continue;
    const attribute = element.dataset.i18nAttr;
    if (attribute) element.setAttribute(attribute, twin.getAttribute(attribute) || "");
    else element.textContent = twin.textContent;
  }
  for (const id of WORD_DATA) {
    const data = current.getElementById(id);
    const twin = fresh.getElementById(id);
    if (data && twin) data.textContent = twin.textContent;
  }
  current.documentElement.lang = fresh.documentElement.lang;
  current.title = fresh.title;
}

// The djangojs catalogue in use (the jsi18n script's `gettext` reads `django.catalog` on each call).
export function useCatalogue(django, { catalog, formats }) {
  django.catalog = catalog || {};
  if (formats) django.formats = formats;
}

function csrfToken(form) {
  return form.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
}

async function switchTo(form, language) {
  const body = new FormData();
  body.set("language", language);
  body.set("csrfmiddlewaretoken", csrfToken(form));
  // Without `next` and asking for JSON, set_language answers 204 (a redirect is not followed anyway).
  const told = await fetch(form.action, { method: "POST", body, headers: { Accept: "application/json" }, redirect: "manual" });
  if (!told.ok && told.type !== "opaqueredirect") throw new Error(`set_language: ${told.status}`);
  const catalogueUrl = form.dataset.catalogueUrl.replace("__language__", encodeURIComponent(language));
  const [catalogue, page] = await Promise.all([
    fetch(catalogueUrl, { headers: { Accept: "application/json" } }).then((response) => response.json()),
    fetch(window.location.href, { headers: { Accept: "text/html" } }),
  ]);
  useCatalogue(window.django || (window.django = {}), catalogue);
  // A page that now sends elsewhere (the registration moved on) gives no words for this one.
  if (page.ok && !page.redirected) swapWords(document, new DOMParser().parseFromString(await page.text(), "text/html"));
  else document.documentElement.lang = language;
  for (const button of form.querySelectorAll("button[name=language]")) {
    button.classList.toggle("current", button.value === language);
  }
  document.dispatchEvent(new CustomEvent(LANGUAGE_EVENT, { detail: { language } }));
}

function postAsBefore(form, language) {
  const input = Object.assign(document.createElement("input"), { type: "hidden", name: "language", value: language });
  form.append(input);
  form.submit(); // no submit event: this listener does not take it over again
}

// Takes over the top bar's form: a tap on a language switches in place; if that fails the form is
// left to post as before only when no check runs (`mayReload` says so).
export function switchLanguageInPlace({ mayReload = () => true } = {}) {
  const form = document.querySelector("form[data-catalogue-url]");
  if (!form) return;
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.submitter;
    if (!button || busy || button.classList.contains("current")) return;
    busy = true;
    try {
      await switchTo(form, button.value);
    } catch {
      if (mayReload()) postAsBefore(form, button.value);
    } finally {
      busy = false;
    }
  });
}
