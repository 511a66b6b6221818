// Search for the SIP response code reference: no framework, no network beyond our own files.
// The index is loaded on first use: fetch("search.json") over http(s), or the same data as a
// script (search-index.js) under file://, where fetch() of local files is blocked.
"use strict";

const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
const wordsOf = (text) => fold(text).split(/[^a-z0-9]+/).filter(Boolean);

// Tiers, best first: the weakest word of a query decides where an entry ranks.
const EXACT_CODE = 7, CODE_PREFIX = 6, PHRASE_WORD = 5, PHRASE_PREFIX = 4, ALIAS = 3,
  SUMMARY = 2, TYPO = 1;

function prepare(entries) {
  const vocabulary = new Set();
  const prepared = entries.map((entry, order) => {
    const phrase = wordsOf(entry.phrase);
    const alias = wordsOf([...(entry.aliases || []), ...(entry.keywords || [])].join(" "));
    const summary = wordsOf(entry.summary);
    phrase.concat(alias).forEach((word) => vocabulary.add(word));
    return { entry, order, code: String(entry.code), phrase, alias, summary };
  });
  return { prepared, vocabulary: [...vocabulary], near: new Map() };
}

// Damerau-Levenshtein distance, giving up once it exceeds limit.
function withinEdits(a, b, limit) {
  if (Math.abs(a.length - b.length) > limit) return false;
  let before = null, previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost);
      if (before && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j], before[j - 2] + 1);
      }
      best = Math.min(best, row[j]);
    }
    if (best > limit) return false;
    before = previous;
    previous = row;
  }
  return previous[b.length] <= limit;
}

// Words of the index within a small edit distance of word; only for words that match nothing
// directly, since a typo tier would rank below any direct match anyway. Cached per index.
function nearWords(index, word) {
  if (!index.near.has(word)) {
    const direct = index.vocabulary.some((v) => v.startsWith(word));
    const limit = word.length >= 8 ? 2 : 1;
    index.near.set(word, direct ? null
      : new Set(index.vocabulary.filter((v) => withinEdits(word, v, limit))));
  }
  return index.near.get(word);
}

function parseQuery(query, index) {
  // Pasted log lines: drop the protocol version so "SIP/2.0 487 ..." reads as code 487.
  const words = wordsOf(query.replace(/sip\/2\.0/gi, " "));
  const typos = new Map();
  for (const word of words) {
    if (word.length >= 4 && !/\d/.test(word)) typos.set(word, nearWords(index, word));
  }
  return { words, typos };
}

function wordTier(item, word, typos) {
  if (/^[1-6]xx$/.test(word)) return item.code[0] === word[0] ? CODE_PREFIX : 0;
  if (/^\d+$/.test(word)) {
    if (item.code === word) return EXACT_CODE;
    return word.length < 3 && item.code.startsWith(word) ? CODE_PREFIX : 0;
  }
  if (item.phrase.includes(word)) return PHRASE_WORD;
  if (item.phrase.some((w) => w.startsWith(word))) return PHRASE_PREFIX;
  if (item.alias.some((w) => w.startsWith(word))) return ALIAS;
  if (item.summary.some((w) => w.startsWith(word))) return SUMMARY;
  const near = typos.get(word);
  return near && item.phrase.concat(item.alias).some((w) => near.has(w)) ? TYPO : 0;
}

function search(index, query, limit = 20) {
  const { words, typos } = parseQuery(query, index);
  if (!words.length) return [];
  // A known code anywhere in the query ("Status: 503", "reason=486") makes other words optional.
  const codes = new Set(index.prepared.filter((item) => /^\d+$/.test(item.code))
    .map((item) => item.code));
  const logCodes = words.filter((w) => codes.has(w));
  const scored = [];
  for (const item of index.prepared) {
    const tiers = words.map((w) => wordTier(item, w, typos));
    const exact = logCodes.includes(item.code);
    if (!exact && (logCodes.length ? words.some((w) => codes.has(w)) : tiers.includes(0))) continue;
    const rank = exact ? EXACT_CODE : Math.min(...tiers);
    scored.push({ item, rank, total: tiers.reduce((a, b) => a + b, 0) });
  }
  scored.sort((a, b) => b.rank - a.rank || b.total - a.total || a.item.order - b.item.order);
  return scored.slice(0, limit).map((s) => s.item.entry);
}

function loadIndex(root) {
  const ready = () => (window.SIP_SEARCH_INDEX ? Promise.resolve(window.SIP_SEARCH_INDEX) : null);
  const viaScript = () => ready() || new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = `${root}search-index.js`;
    script.onload = () => resolve(window.SIP_SEARCH_INDEX);
    script.onerror = reject;
    document.head.append(script);
  });
  if (location.protocol === "file:") return viaScript().then((data) => prepare(data.entries));
  return fetch(`${root}search.json`).then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
    .catch(viaScript).then((data) => prepare(data.entries));
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
      const code = document.createElement("strong");
      code.textContent = `${entry.code} ${entry.phrase}`;
      const summary = document.createElement("span");
      summary.textContent = entry.summary;
      link.append(code, " ");
      if (entry.status !== "standard") {
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

  input.addEventListener("focus", ensureIndex, { once: true });
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
