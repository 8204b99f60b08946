// The handover screen invites the customer to choose their language: it changes in place (language.js),
// the words of the template marked `data-i18n` taken from the screen rendered again in that language.
import { switchLanguageInPlace } from "./language.js";

switchLanguageInPlace();
