// On 404.html: when the missing path is codes/<nnn>.html, explain that code instead of a
// generic "not found". Built with DOM methods only; the path is never parsed as HTML.
"use strict";

function explainMissingCode(section, path) {
  const match = /\/codes\/(\d{3})(?:\.html?)?\/?$/.exec(path);
  if (!match) return false;
  const code = Number(match[1]);
  const known = new Set(section.dataset.codes.split(" ").map(Number));
  const names = Object.fromEntries(section.dataset.classes.split(";").map((p) => p.split("=")));
  const link = (href, text) => Object.assign(document.createElement("a"), { href, textContent: text });
  const strong = (text) => Object.assign(document.createElement("strong"), { textContent: text });
  const explanation = document.getElementById("unknown-code");
  if (known.has(code)) {
    explanation.replaceChildren(`Code ${code} has a page: `, link(`codes/${code}.html`, `codes/${code}.html`), ".");
  } else if (code >= 100 && code <= 699) {
    const key = `${Math.floor(code / 100)}xx`;
    const treatedAs = code < 200 ? 183 : Math.floor(code / 100) * 100;
    explanation.replaceChildren(
      "SIP ", strong(String(code)), " is not a registered response code. It falls in the ",
      link(`classes/${key}.html`, `${key} ${names[key]}`), " class. A SIP peer that receives it ",
      `treats it as `, link(`codes/${treatedAs}.html`, `${treatedAs}`),
      code < 200 ? " (an unrecognised provisional response)" : ` (the ${key.replace("xx", "00")} of its class)`,
      ", as RFC 3261 §8.1.3.2 requires.");
  } else {
    explanation.replaceChildren(strong(String(code)), " is not a SIP response code: codes run from 100 to 699.");
  }
  document.querySelector("h1").textContent = `SIP ${code}: no page here`;
  return true;
}

const section = document.querySelector("[data-codes]");
if (section) explainMissingCode(section, location.pathname);
