// Small DOM and formatting helpers shared by every screen. No framework: the
// screens build elements with h() and replace regions when data changes.

// h('button.primary', {onclick, type: 'button'}, 'Approve') → <button class="primary">.
// Attributes: `class`, `dataset`, `style` (string), `on<event>` handlers,
// booleans (true sets the attribute, false/null/undefined leaves it out).
// Children: strings, numbers, nodes, arrays (flattened), null/false skipped.
export function h(spec, attrs, ...children) {
  if (attrs === null || typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs)) {
    if (attrs !== undefined) children.unshift(attrs);
    attrs = {};
  }
  const m = /^([a-z0-9-]+)?((?:[.#][\w-]+)*)$/i.exec(spec);
  const tag = (m && m[1]) || 'div';
  const ns = SVG_TAGS.has(tag) ? 'http://www.w3.org/2000/svg' : null;
  const el = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  if (m && m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g)) {
      if (part[0] === '.') el.classList.add(part.slice(1));
      else el.id = part.slice(1);
    }
  }
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') {
      for (const c of String(value).split(/\s+/)) if (c) el.classList.add(c);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'value' && 'value' in el && !ns) {
      el.value = value;
    } else if (key === 'checked' || key === 'selected') {
      el[key] = !!value;
      if (value) el.setAttribute(key, '');
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

const SVG_TAGS = new Set(['svg', 'g', 'path', 'rect', 'circle', 'line', 'polyline', 'polygon', 'text', 'title', 'tspan', 'defs', 'linearGradient', 'stop']);

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false || c === true) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

// ---------------------------------------------------------------- formatting

// One way of writing dates for people, whatever the browser's locale:
// "2 Mar 2026" for a calendar day, "2 Mar 2026, 14:05" (local time) for an
// instant. On screen they are <time> elements (day(), instant()) whose
// tooltip and datetime give the ISO value the server sent.
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n) => String(n).padStart(2, '0');

// "2026-03-02" → "2 Mar 2026" (a calendar day: no time zone shift).
export function fmtDay(day) {
  if (!day) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m || +m[2] < 1 || +m[2] > 12) return String(day);
  return `${+m[3]} ${MONTHS[+m[2] - 1]} ${m[1]}`;
}

// RFC 3339 instant → "2 Mar 2026, 14:05" in local time.
export function fmtInstant(at) {
  if (!at) return '—';
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  return `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}, ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

// A calendar day on screen: <time datetime="2026-03-02" title="2026-03-02">2 Mar 2026</time>; "—" without one.
export function day(value, attrs = {}) {
  if (!value) return '—';
  return h('time', { datetime: value, title: value, ...attrs }, fmtDay(value));
}

// An instant on screen: <time datetime title> with the server's ISO value; "—" without one.
export function instant(value, attrs = {}) {
  if (!value) return '—';
  return h('time', { datetime: value, title: value, ...attrs }, fmtInstant(value));
}

// Snake-case wire words → words a person reads: "treatment_planned" → "Treatment planned".
export function humanize(s) {
  if (s === null || s === undefined || s === '') return '—';
  const t = String(s).replace(/[_.]+/g, ' ').trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

export function plural(n, one, many = one + 's') {
  return `${n} ${n === 1 ? one : many}`;
}

// Today's calendar day in UTC, "YYYY-MM-DD" (the server's days are UTC).
export function todayUtc(offsetDays = 0) {
  const d = new Date(Date.now() + offsetDays * 864e5);
  return d.toISOString().slice(0, 10);
}

// The day `months` months after the server's today, as a view reply states it
// (`months_ahead`: 1, 2, 3, 6, 12), counted by the domain (clamped to the
// month's end). The client does no month arithmetic; "" when not given.
export function monthsAhead(data, months) {
  return (data && data.months_ahead && data.months_ahead[String(months)]) || '';
}

// A random id for commands and new entities (crypto.randomUUID needs a secure context).
export function randomId(bytes = 16) {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
}

// Runs fn at most once per `ms`, trailing: a burst of pushes causes one re-query.
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn(...args); }, ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

export function download(filename, text, type) {
  const blob = new Blob([text], { type });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
