// Search for the SIP response code reference: no framework, no network beyond our own files.
// The engine (search-engine.js) and the index load on the first keystroke: the index by
// fetch("search.json") over http(s), or as a script (search-index.js) under file://, where
// fetch() of local files is blocked.
"use strict";

const KINDS = { code: "SIP code", class: "Response class", guide: "Guide", cause: "Q.850 cause",
  freeswitch: "FreeSWITCH cause", asterisk: "Asterisk cause", warn: "Warn-code",
  protocol: "Reason protocol", page: "Page" };

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = reject;
    document.head.append(script);
  });
}

function loadIndex(root) {
  const viaScript = () => (window.SIP_SEARCH_INDEX ? Promise.resolve()
    : loadScript(`${root}search-index.js`)).then(() => window.SIP_SEARCH_INDEX);
  const data = location.protocol === "file:" ? viaScript()
    : fetch(`${root}search.json`).then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .catch(viaScript);
  return Promise.all([data, loadScript(`${root}static/search-engine.js`)])
    .then(([index]) => prepare(index.entries));
}

function startSearch(form) {
  const root = document.currentScript.dataset.root;
  const input = form.querySelector("input");
  const list = form.querySelector("[role=listbox]");
  const status = form.querySelector("[role=status]");
  let index = null, results = [], active = -1, loading = null;
  const ensureIndex = () => (loading ||= loadIndex(root).then((i) => (index = i)));

  function show(query) {
    results = index && query.trim() ? search(index, query) : [];
    active = results.length ? 0 : -1;
    list.replaceChildren(...results.map((entry, i) => {
      // Each option is a real link, so a result opens in a new tab and its address copies.
      const item = document.createElement("li");
      item.setAttribute("role", "none");
      const link = document.createElement("a");
      link.id = `result-${i}`;
      link.setAttribute("role", "option");
      link.href = root + entry.url;
      link.tabIndex = -1;  // the box keeps the focus; arrow keys move the active option
      const kind = entry.kind || "code";
      const code = document.createElement("strong");
      code.textContent = kind === "code" || kind === "class" ? `${entry.code} ${entry.phrase}`
        : entry.phrase;
      const label = document.createElement("small");
      label.textContent = entry.next ? `${KINDS[kind]}; next step: ${entry.next.toLowerCase()}`
        : KINDS[kind];
      const summary = document.createElement("span");
      summary.textContent = entry.summary;
      link.append(code, " ", label, " ");
      if (entry.status && entry.status !== "standard") {
        const flag = document.createElement("em");
        flag.textContent = entry.status === "deprecated" ? "(deprecated) " : "(not registered) ";
        link.append(flag);
      }
      link.append(summary);
      item.append(link);
      return item;
    }));
    const shown = Boolean(query.trim());
    list.hidden = !results.length;
    input.setAttribute("aria-expanded", String(results.length > 0));
    status.textContent = shown ? `${results.length} result${results.length === 1 ? "" : "s"}` : "";
    highlight(active);
  }

  function highlight(i) {
    active = i;
    list.querySelectorAll("[role=option]").forEach((option, j) => {
      option.setAttribute("aria-selected", String(j === i));
      if (j === i) option.scrollIntoView({ block: "nearest" });
    });
    if (i >= 0) input.setAttribute("aria-activedescendant", `result-${i}`);
    else input.removeAttribute("aria-activedescendant");
  }

  function open(i) {
    if (results[i]) location.href = root + results[i].url;
  }

  input.addEventListener("input", () => ensureIndex().then(() => show(input.value)));
  input.addEventListener("keydown", (event) => {
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in moves && results.length) {
      event.preventDefault();
      highlight((active + moves[event.key] + results.length) % results.length);
    } else if (event.key === "Enter" && results.length) {
      event.preventDefault();
      open(active >= 0 ? active : 0);
    } else if (event.key === "Escape") {
      input.value = "";
      show("");
    }
  });
  document.addEventListener("keydown", (event) => {
    const typing = /^(input|textarea|select)$/i.test(document.activeElement.tagName);
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      input.focus();
    }
  });
  const query = new URLSearchParams(location.search).get("q");
  if (query) {
    input.value = query;
    ensureIndex().then(() => show(query));
  }
}

if (typeof document !== "undefined" && document.currentScript) {
  const form = document.querySelector("form[role=search]");
  if (form) startSearch(form);
}
