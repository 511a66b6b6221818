// The search engine of the SIP response code reference: ranking and the log-line decoder.
// search.js loads it, with the index, on the first keystroke, so a page costs nothing more
// until someone searches.
"use strict";

const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
const wordsOf = (text) => fold(text).split(/[^a-z0-9]+/).filter(Boolean);

// Tiers, best first: the weakest word of a query decides where an entry ranks.
const EXACT_CODE = 7, CODE_PREFIX = 6, PHRASE_WORD = 5, PHRASE_PREFIX = 4, ALIAS = 3,
  SUMMARY = 2, TYPO = 1;

// Header requirements, strongest first: the code that MUST carry a header comes first.
const STRENGTH = ["MUST", "SHOULD", "MAY", "SHOULD NOT", "MUST NOT"];

function prepare(entries) {
  const vocabulary = new Set();
  const byKey = new Map(), byName = new Map(), byHeader = new Map();
  const prepared = entries.map((entry, order) => {
    // A code's own phrase outranks the words of what a log may name (UNSUPPORTED_CERTIFICATE
    // is a FreeSWITCH cause; "Unsupported Certificate" is first a former name of 437).
    const own = !entry.kind || ["code", "class", "guide", "page"].includes(entry.kind);
    const named = [...(entry.aliases || []), ...(entry.keywords || [])];
    const phrase = own ? wordsOf(entry.phrase) : [];
    const alias = wordsOf((own ? named : [entry.phrase, ...named]).join(" "));
    const summary = wordsOf(entry.summary);
    phrase.concat(alias).forEach((word) => vocabulary.add(word));
    const item = { entry, order, kind: entry.kind || "code", code: String(entry.code), phrase,
      alias, summary, n: entry.n };
    byKey.set(item.code, item);
    for (const name of entry.names || []) {
      const key = name.toLowerCase();
      byName.set(key, (byName.get(key) || []).concat(item));
    }
    for (const [header, level] of entry.headers || []) {
      const key = header.toLowerCase();
      byHeader.set(key, (byHeader.get(key) || []).concat({ item, rank: STRENGTH.indexOf(level) }));
    }
    return item;
  });
  for (const list of byHeader.values()) list.sort((a, b) => a.rank - b.rank || a.item.order - b.item.order);
  return { prepared, vocabulary: [...vocabulary], near: new Map(), byKey, byName, byHeader };
}

// Pasted log text names its answer outright: a Reason or Warning header, a cause number, a
// product's cause name, a header field. Return those entries, most specific first.
function decode(index, query) {
  const found = [], late = [];
  const add = (key) => { const item = index.byKey.get(key); if (item) found.push(item); };
  const causeAndNamed = (n) => {
    add(`cause:${n}`);
    for (const kind of ["freeswitch", "asterisk"]) {
      index.prepared.filter((i) => i.kind === kind && i.n === n).forEach((i) => found.push(i));
    }
  };
  const warning = query.match(/\bwarn(?:ing|[\s_-]?code)?\s*:?\s*(3\d\d)\b/i)
    || query.match(/^\s*(3\d\d)\s+\S+\s+"/);
  if (warning) add(`warn:${warning[1]}`);
  for (const m of query.matchAll(/\b(q\.?\s?850|sip|stir|preemption)\s*;\s*cause\s*=\s*(\d+)/gi)) {
    const protocol = m[1].replace(/[\s.]/g, "").toLowerCase();
    if (protocol === "q850") causeAndNamed(Number(m[2]));
    else if (protocol === "sip" || protocol === "stir") add(m[2]);
    add(`protocol:${{ q850: "Q.850", sip: "SIP", stir: "STIR", preemption: "Preemption" }[protocol]}`);
  }
  const number = query.match(/\bx-asterisk-hangupcausecode\s*:\s*(\d+)/i)
    || query.match(/\b(?:hangup[\s_-]?cause(?:[\s_-]?code)?|q\.?\s?850|isdn(?:\s+cause)?|cause)(?:\s*(?:=|:|is|value)\s*|\s+)(\d{1,3})\b/i);
  if (number && !/;\s*cause\s*=/i.test(query)) causeAndNamed(Number(number[1]));
  // Cause names: USER_BUSY in any case, AST_CAUSE_BUSY; a plain word only in capitals (BUSY).
  for (const m of query.matchAll(/\b(AST_CAUSE_)?([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*)\b/gi)) {
    const [, prefix, name] = m;
    const word = !prefix && !name.includes("_");  // BUSY: a name, but also a word
    if (word && name !== name.toUpperCase()) continue;
    const items = index.byName.get(name.toLowerCase()) || [];
    const first = prefix ? "asterisk" : "freeswitch";
    items.filter((i) => i.kind === first).concat(items.filter((i) => i.kind !== first))
      .forEach((i) => (word ? late : found).push(i));
  }
  // A header field name: Min-Expires, or any name followed by a colon (Allow: INVITE).
  for (const m of query.matchAll(/(?:^|\s)([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+|[A-Za-z][A-Za-z0-9]*(?=\s*:))/g)) {
    (index.byHeader.get(m[1].toLowerCase()) || []).forEach(({ item }) => found.push(item));
  }
  return { found, late };
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
  const numbered = item.kind === "code" || item.kind === "class";
  if (/^[1-6]xx$/.test(word)) return numbered && item.code[0] === word[0] ? CODE_PREFIX : 0;
  if (/^\d+$/.test(word)) {
    if (!numbered) return String(item.n) === word ? CODE_PREFIX : 0;
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
  const { found, late } = decode(index, query);
  const ranked = rank(index, query, limit);
  // A word that is also a cause name (BUSY) ranks its cause after the first few matches.
  const merged = found.concat(ranked.slice(0, 3), late, ranked.slice(3));
  return [...new Set(merged)].slice(0, limit).map((item) => item.entry);
}

function rank(index, query, limit) {
  const { words, typos } = parseQuery(query, index);
  if (!words.length) return [];
  // A known code anywhere in the query ("Status: 503", "reason=486") makes other words optional.
  const codes = new Set(index.prepared.filter((item) => item.kind === "code")
    .map((item) => item.code));
  const logCodes = words.filter((w) => codes.has(w));
  const scored = [];
  for (const item of index.prepared) {
    const tiers = words.map((w) => wordTier(item, w, typos));
    const exact = item.kind === "code" && logCodes.includes(item.code);
    if (!exact && (logCodes.length ? words.some((w) => codes.has(w)) : tiers.includes(0))) continue;
    const rank = exact ? EXACT_CODE : Math.min(...tiers);
    scored.push({ item, rank, total: tiers.reduce((a, b) => a + b, 0) });
  }
  scored.sort((a, b) => b.rank - a.rank || b.total - a.total || a.item.order - b.item.order);
  return scored.slice(0, limit).map((s) => s.item);
}
