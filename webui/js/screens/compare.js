// Comparing two points: what changed in the ISMS between two dates, two
// positions of the log or two signed checkpoints — per register, each entity
// added, changed field by field (was → now) or removed, with the events of
// the period that did it. The address carries both points
// (`#/compare?from=2026-01-01&to=now`), so a comparison can be bookmarked and
// shared; see changes.js for the points and the grouping.

import { h, replace, fmtDay, fmtInstant, instant, humanize, todayUtc, plural } from '../dom.js';
import { person } from '../directory.js';
import { app } from '../state.js';
import { http } from '../api.js';
import { pageHeader, loading, errorState, section, stateLabel, chip, empty } from '../ui.js';
import {
  REGISTERS, parsePoint, pointToken, asOfOf, groupChanges, eventsOfEntity, eventsOfRegister, eventWords, fromLog, isRating,
} from '../changes.js';

// The period's events: the `activity` query, 1000 at a time, paged back
// through the log up to LOG_LIMIT events; auditors read the same events with
// their data from the event log export.
const FEED_LIMIT = 1000;
const LOG_LIMIT = 10000;
const LOG_PAGE = 5000;
// Events listed on a card before the rest is folded away.
const EVENTS_SHOWN = 6;

const KIND_WORDS = { added: 'Added', changed: 'Changed', removed: 'Removed' };
// Where the events of a record stand beside its changes (the stylesheet's
// one-column breakpoint).
const wide = window.matchMedia('(min-width: 1001px)');
const KIND_TONE = { added: 'ok', changed: 'info', removed: 'bad' };

export async function render(ctx) {
  const mayReadLog = app.roleAllows('events.export');
  const asked = { from: parsePoint(ctx.query.from), to: parsePoint(ctx.query.to) };
  const badAddress = (ctx.query.from && (!asked.from || asked.from.kind === 'now')) || (ctx.query.to && !asked.to);
  let from = !badAddress && asked.from ? asked.from : { kind: 'date', day: todayUtc(-90) };
  let to = !badAddress && asked.to ? asked.to : { kind: 'now' };

  let checkpoints = [];
  const fromControl = pointControl('from', 'From', from, { allowNow: false });
  const toControl = pointControl('to', 'To', to, { allowNow: true });
  const formError = h('div.form-error', { role: 'alert', hidden: true });
  const presets = h('div.row.cmp-presets', { role: 'group', 'aria-label': 'Quick choices' });
  const result = h('div.cmp-result');
  // What a screen reader is told when a comparison is ready (the result
  // itself is too long to be read out as it appears).
  const status = h('p.sr-only', { role: 'status' });
  const form = h('form.cmp-form', { novalidate: true },
    h('div.cmp-points', fromControl.el, toControl.el),
    formError,
    h('div.row',
      h('button.btn.btn-primary', { type: 'submit', dataset: { testid: 'compare-run' } }, 'Compare'),
      h('button.btn.btn-quiet', { type: 'button', onclick: swap }, 'Swap the two points')),
    presets);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    formError.hidden = true;
    try {
      from = fromControl.read();
      to = toControl.read();
    } catch (err) {
      formError.textContent = err.message;
      formError.hidden = false;
      return;
    }
    run();
  });

  const page = h('div',
    pageHeader('Compare two points', {
      back: ['#/history', 'Audit and history'],
      subtitle: 'What changed in the ISMS between two dates, positions in the event log or signed checkpoints: register by register, field by field, with the events that did it.',
    }),
    section('The two points', form,
      h('p.muted.cmp-note', 'A date means the end of that day in UTC, the day the ISMS counts in: the comparison takes the last event recorded at or before 23:59:59 UTC. The address of this page names both points: bookmark it or send it to compare the same again.')),
    status,
    result);

  function swap() {
    const a = fromControl.value();
    const b = toControl.value();
    if (b.kind === 'now') { formError.textContent = '“Now” can only be the second point.'; formError.hidden = false; return; }
    fromControl.set(b);
    toControl.set(a);
  }

  // Checkpoints (auditors), the latest review baseline and the latest audit
  // report offer themselves as the first point.
  async function drawPresets() {
    const buttons = [];
    const preset = (label, point, testid) => h('button.btn.btn-small', {
      type: 'button', dataset: testid ? { testid } : undefined,
      onclick: () => { from = point; to = { kind: 'now' }; fromControl.set(from); toControl.set(to); run(); },
    }, label);
    buttons.push(preset('Last 30 days', { kind: 'date', day: todayUtc(-30) }));
    buttons.push(preset('Last 90 days', { kind: 'date', day: todayUtc(-90) }));
    buttons.push(preset('Last 12 months', { kind: 'date', day: todayUtc(-365) }));
    const [cps, reviews, audits] = await Promise.all([
      mayReadLog ? http.checkpoints().then((d) => d.checkpoints || [], () => []) : Promise.resolve([]),
      app.query('reviews', {}, { now: true }).then((d) => d.reviews || [], () => []),
      app.query('audits', { state: 'reported' }, { now: true }).then((d) => d.audits || [], () => []),
    ]);
    checkpoints = cps;
    fromControl.checkpoints(cps);
    toControl.checkpoints(cps);
    const newest = cps.at(-1);
    if (newest) buttons.push(preset(`Since the newest signed checkpoint (${fmtInstant(newest.time)})`, { kind: 'checkpoint', position: newest.position }, 'since-checkpoint'));
    const review = reviews.filter((r) => r.baseline_position > 0).sort((a, b) => b.baseline_position - a.baseline_position)[0];
    if (review) buttons.push(preset(`Since the inputs of management review ${review.id}`, { kind: 'position', position: review.baseline_position }));
    const audit = audits.filter((a) => a.reported_on).sort((a, b) => (a.reported_on < b.reported_on ? 1 : -1))[0];
    if (audit) buttons.push(preset(`Since the report of internal audit ${audit.id} (${fmtDay(audit.reported_on)})`, { kind: 'date', day: audit.reported_on }));
    replace(presets, h('span.muted.cmp-presets-label', 'Or compare with now:'), buttons);
  }

  // ------------------------------------------------------------ running

  let runs = 0;
  async function run() {
    const mine = ++runs;
    ctx.setQuery({ from: pointToken(from), to: pointToken(to) });
    replace(result, loading('Comparing the two points…'));
    try {
      const [a, b] = await Promise.all([resolve(from), resolve(to)]);
      if (mine !== runs) return;
      if (a.position > b.position) {
        replace(result, h('div.state.state-error', { role: 'alert' },
          h('div.state-title', 'The first point comes after the second'),
          h('p', `“From” is position ${a.position}, “To” is position ${b.position}.`),
          h('button.btn', { type: 'button', onclick: () => { swap(); from = fromControl.value(); to = toControl.value(); run(); } }, 'Swap them and compare')));
        return;
      }
      const [events, ...registers] = await Promise.all([
        loadEvents(a.position, b.position),
        ...REGISTERS.map((reg) => loadRegister(reg, a.position, b.position).then((r) => ({ reg, ...r }), (err) => ({ reg, err })))]);
      if (mine !== runs) return;
      replace(result, drawResult(a, b, events, registers));
      const total = registers.reduce((n, r) => n + (r.err ? 0 : r.groups.entities.length + (r.groups.own ? 1 : 0)), 0);
      status.textContent = `Comparison ready: ${plural(total, 'record')} changed between position ${a.position} and position ${b.position}.`;
    } catch (err) {
      if (mine !== runs) return;
      replace(result, errorState(err, run));
    }
  }

  // A point's position, its time and the last event up to it, as the
  // history screen finds them: the activity feed asked as of the point.
  async function resolve(p) {
    const r = await app.conn.query('activity', { limit: 1 }, asOfOf(p));
    return { point: p, position: r.position, at: r.data.as_of || '', last: (r.data.events || [])[0] || null };
  }

  async function loadEvents(a, b) {
    if (b <= a) return { list: [], count: 0, complete: true };
    const byPosition = new Map();
    // The activity query pages back through the whole log (`before`, answered
    // by `next_before`): every event of the period, up to LOG_LIMIT of them.
    let params = { limit: FEED_LIMIT };
    let reached = false;
    for (let pages = 0, seen = 0; pages < LOG_LIMIT / FEED_LIMIT * 2 && seen < LOG_LIMIT; pages++) {
      const feed = await app.conn.query('activity', params, { position: b });
      const events = feed.data.events || [];
      for (const e of events) if (e.position > a && e.position <= b) byPosition.set(e.position, { ...e, data: null });
      seen += events.length;
      const oldest = events.length ? events[events.length - 1].position : null;
      if (!feed.data.next_before || (oldest !== null && oldest <= a + 1)) { reached = true; break; }
      params = { limit: FEED_LIMIT, before: feed.data.next_before };
    }
    // Auditors read the log itself: every event of the period (up to
    // LOG_LIMIT), with its data, which says which SoA control or context
    // item an event is about.
    if (mayReadLog) {
      try {
        let next = Math.max(a + 1, b - LOG_LIMIT + 1);
        while (next <= b) {
          const page = await http.eventsPage(next, Math.min(LOG_PAGE, b - next + 1));
          const lines = page.text.split('\n').filter(Boolean);
          const before = next;
          for (const line of lines) {
            const e = fromLog(JSON.parse(line));
            if (e.position > b) break;
            const known = byPosition.get(e.position);
            byPosition.set(e.position, known ? { ...known, data: e.data } : e);
            next = e.position + 1;
          }
          if (next === before) break;
        }
      } catch { /* the feed's events are still listed */ }
    }
    const list = [...byPosition.values()].sort((x, y) => x.position - y.position);
    // The log's own records (signed checkpoints, erasures) are not ISMS
    // events: a period reached to its start is complete without them.
    return { list, count: b - a, complete: reached || list.length >= b - a, oldest: list.length ? list[0].position : b + 1 };
  }

  async function loadRegister(reg, a, b) {
    if (a === b) return { groups: { entities: [], own: null } };
    const params = reg.params || {};
    const [d, now] = await Promise.all([
      app.conn.request({ op: 'query', view: reg.view, params, diff: { from: { position: a }, to: { position: b } } }),
      app.conn.query(reg.view, params, { position: b }),
    ]);
    return { groups: groupChanges(reg, d.diff || {}, now.data), after: now.data };
  }

  // ------------------------------------------------------------ drawing

  function drawResult(a, b, events, registers) {
    const changed = registers.filter((r) => !r.err && (r.groups.entities.length || r.groups.own));
    const unchanged = registers.filter((r) => !r.err && !r.groups.entities.length && !r.groups.own);
    const failed = registers.filter((r) => r.err);
    const sections = new Map();
    for (const r of changed) sections.set(r.reg.view, registerSection(r, events, a, b));
    return h('div',
      section(null,
        h('h2.card-title', 'From ', pointWords(a.point), ' to ', pointWords(b.point)),
        h('div.cmp-ends',
          endFacts('From', a, 'cmp-from'),
          h('span.cmp-ends-arrow', { 'aria-hidden': 'true' }, '→'),
          endFacts('To', b, 'cmp-to')),
        h('p.cmp-count', { dataset: { testid: 'compare-events' } }, a.position === b.position
          ? 'Both points are the same position in the log: nothing changed in between.'
          : `${plural(events.count, 'event')} recorded in between (positions ${a.position + 1} to ${b.position}).`,
        !events.complete && events.count ? h('span.muted', ` The oldest ${events.oldest - a.position - 1} of them are not listed on the cards below: the screen reads the latest ${LOG_LIMIT}; the event log holds them all.`) : null),
        changed.length ? h('ul.cmp-overview', changed.map((r) => h('li',
          h('button.link-btn', { type: 'button', onclick: () => { const s = sections.get(r.reg.view); s.scrollIntoView({ block: 'start' }); s.querySelector('h2').focus(); } }, r.reg.title),
          ' ', counts(r.groups)))) : null,
        unchanged.length && a.position !== b.position ? h('p.muted.cmp-unchanged', 'No change: ', unchanged.map((r) => r.reg.title).join(', '), '.') : null),
      failed.map((r) => section(r.reg.title, errorState(r.err, run))),
      changed.length ? [...sections.values()] : (a.position !== b.position && !failed.length
        ? empty('Nothing changed in the registers', 'The events in between changed nothing the registers show (signed checkpoints, for instance).') : null));
  }

  function endFacts(label, end, testid) {
    return h('div.cmp-end', { dataset: { testid } },
      h('div.cmp-end-label', label),
      h('div.cmp-end-point', pointWords(end.point)),
      h('div.cmp-end-position', end.position ? `Position ${end.position}` : 'Before the first event'),
      end.last ? h('div.muted.cmp-end-last', 'Last event: ', fmtInstant(end.last.at), ' — ', end.last.text) : null);
  }

  function pointWords(p) {
    if (p.kind === 'now') return 'now';
    if (p.kind === 'date') return `the end of ${fmtDay(p.day)}`;
    if (p.kind === 'checkpoint') {
      const c = checkpoints.find((x) => x.position === p.position);
      return c ? `the checkpoint signed ${fmtInstant(c.time)}` : `the signed checkpoint at position ${p.position}`;
    }
    return `position ${p.position}`;
  }

  function counts(groups) {
    const n = { added: 0, changed: 0, removed: 0 };
    for (const e of groups.entities) n[e.kind]++;
    if (groups.own) n.changed++;
    return h('span.cmp-counts', ['added', 'changed', 'removed'].filter((k) => n[k]).map((k) => chip(`${n[k]} ${k}`, KIND_TONE[k])));
  }

  function registerSection({ reg, groups, after }, events, a, b) {
    const heading = h('h2.card-title', { tabindex: '-1' }, reg.title, h('span.spacer'), counts(groups));
    const period = [a.at ? a.at.slice(0, 10) : '', b.at ? b.at.slice(0, 10) : ''];
    return h('section.card.cmp-register', { dataset: { register: reg.view } },
      heading,
      groups.own ? entityCard(reg, { kind: 'changed', rows: groups.own.rows, own: true }, eventsOfRegister(reg, events.list), period) : null,
      groups.entities.map((e) => entityCard(reg, e, eventsOfEntity(reg, e.list, e.id, e.value, events.list, e.rows, after), period)));
  }

  function entityCard(reg, e, evs, period) {
    const value = e.value || {};
    const name = e.own ? reg.ownTitle : reg.name(value) || '';
    const href = e.own ? null : reg.link(e.id, app);
    const listLabel = e.list && e.list.label ? `${e.list.label} ` : '';
    const title = h('h3.cmp-entity-title',
      chip(KIND_WORDS[e.kind], KIND_TONE[e.kind]),
      e.own ? null : (href ? h('a.cmp-entity-id', { href }, `${listLabel}${e.id}`) : h('span.cmp-entity-id', `${listLabel}${e.id}`)),
      name ? h('span.cmp-entity-name', name) : null);
    let body;
    if (e.kind === 'changed') body = h('dl.cmp-rows', e.rows.map(row));
    else body = h('dl.cmp-rows', { class: e.kind === 'removed' ? 'cmp-removed' : null },
      (reg.facts ? reg.facts(value) : []).map(([label, v, field]) => h('div.cmp-row.cmp-fact', h('dt', label), h('dd.cmp-now', val(v, field)))));
    return h('article.cmp-entity', { class: `cmp-${e.kind}`, dataset: { entity: e.own ? '' : e.id, kind: e.kind } },
      title,
      h('div.cmp-entity-body',
        h('div.cmp-changes', body),
        eventsBox(reg, e, evs, period)));
  }

  function row(r) {
    const was = r.kind === 'added' || r.kind === 'grown' ? h('span.muted', r.kind === 'grown' ? '' : 'not there') : val(r.before, r.field);
    const now = r.kind === 'removed' ? h('span.muted', 'removed') : r.kind === 'grown'
      ? h('ul.plain.cmp-grown', r.after.map((x) => h('li', h('span.diff-add', { 'aria-hidden': 'true' }, '+ '), val(x, r.field))))
      : val(r.after, r.field);
    const label = r.kind === 'grown' ? `${r.label}: new entries` : r.kind === 'added' ? `${r.label} added` : r.kind === 'removed' ? `${r.label} removed` : r.label;
    return h('div.cmp-row', { dataset: { field: r.key } },
      h('dt', label),
      h('dd.cmp-was', h('span.cmp-tag', 'Was'), h('span.cmp-value', was)),
      h('dd.cmp-arrow', { 'aria-hidden': 'true' }, '→'),
      h('dd.cmp-now', h('span.cmp-tag', 'Now'), h('span.cmp-value', now)));
  }

  function eventsBox(reg, e, evs, period) {
    const stream = e.own ? (reg.ownStreams || [])[0] : reg.stream(e.id, e.value);
    const all = stream ? h('a.cmp-all', { href: historyHref({ stream, from: period[0], to: period[1] }) }, `All events of ${stream} in the period, in the event log`) : null;
    if (!evs.length) {
      const why = e.list && e.list.lastChangeOnly && e.value && e.value.last_change && e.value.last_change.position
        ? 'No event on this control in the period: the change comes from another record, such as a risk whose treatment names the control.'
        : 'No event of this record in the period: the change comes from another record (a risk naming it, an approval, a reaction).';
      return h('aside.cmp-events', h('h4.cmp-events-title', 'Events'), h('p.muted.cmp-no-event', why), all);
    }
    const items = evs.map((ev) => eventItem(ev, stream));
    const folded = items.length > EVENTS_SHOWN + 1 ? items.splice(EVENTS_SHOWN) : [];
    // Open beside the changes on a wide screen; on a phone, below them and
    // folded, so that the changes of one record follow each other.
    return h('aside.cmp-events', { 'aria-label': `Events that changed ${e.own ? reg.ownTitle : e.id}` },
      h('details.cmp-events-fold', { open: wide.matches },
        h('summary.cmp-events-title', plural(evs.length, 'event'), e.list && e.list.lastChangeOnly && !evs.some((x) => x.data) && !evs.some((x) => x.stream !== stream) ? ' (the latest)' : ''),
        h('ol.cmp-event-list', items),
        folded.length ? h('details.cmp-more', h('summary', `${folded.length} more`), h('ol.cmp-event-list', folded)) : null),
      all);
  }

  function eventItem(ev, stream) {
    const day = String(ev.at || '').slice(0, 10);
    const elsewhere = stream && ev.stream !== stream && !ev.stream.startsWith(`approval-${stream}.v`);
    return h('li.cmp-event', { dataset: { position: String(ev.position) } },
      h('div.cmp-event-head',
        h('a.cmp-event-pos', { href: historyHref({ stream: ev.stream, type: ev.type, from: day, to: day }), 'aria-label': `Event ${ev.position} in the event log` }, `#${ev.position}`),
        h('span.cmp-event-what', eventWords(ev)),
        elsewhere ? h('code.cmp-event-stream', ev.stream) : null),
      h('div.cmp-event-meta', instant(ev.at), ' · ', person(ev.by)),
      ev.comment ? h('div.tl-why.cmp-event-why', ev.comment) : null);
  }

  // ------------------------------------------------------------ start

  drawPresets().catch(() => {});
  if (badAddress) {
    formError.textContent = 'The address names a point that is not a date (YYYY-MM-DD), a position, a checkpoint (checkpoint-N) or “now”. Choose the points again.';
    formError.hidden = false;
    replace(result, empty('Choose two points', 'Then press Compare.'));
  } else if (ctx.query.from) run();
  else replace(result, empty('Choose two points', 'For instance the day of the last audit and now; then press Compare.'));
  return page;
}

// ---------------------------------------------------------------- pieces

// The event log of the history screen, filtered (its filters are the
// address's query).
function historyHref(q) {
  const clean = Object.fromEntries(Object.entries(q).filter(([, v]) => v));
  return `#/history?${new URLSearchParams(clean).toString()}`;
}

const STATE_FIELDS = new Set(['state', 'applicability', 'implementation_status', 'status', 'approval_state']);
const WORD_FIELDS = new Set(['option', 'kind', 'severity', 'source', 'last_review_outcome', 'outcome', 'type', 'input']);
const TITLE_KEYS = ['title', 'statement', 'description', 'text', 'name', 'discussion', 'change_note', 'summary', 'note', 'item'];
const FACT_KEYS = ['date', 'measured_on', 'value', 'document_version', 'type', 'kind', 'severity', 'reference', 'owner', 'due_on', 'status', 'state', 'justification'];

// A value as a person reads it: states in the server's words, days and
// instants formatted, a rating as likelihood × impact = score (level), a
// record by its text and key facts.
function val(v, field = '') {
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && 'state' in v) return v.state ? stateLabel(v.state) : h('span.muted', '—');
  if (v === null || v === undefined || v === '') return h('span.muted', '—');
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') {
    if (STATE_FIELDS.has(field)) return stateLabel(v);
    if (WORD_FIELDS.has(field)) return humanize(v);
    if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return fmtDay(v);
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v)) return fmtInstant(v);
    return v;
  }
  if (isRating(v)) {
    if (!v.likelihood && !v.impact) return h('span.muted', 'not rated');
    return `${v.likelihood} × ${v.impact}${v.score ? ` = ${v.score}` : ''}${v.level ? ` (${v.level})` : ''}`;
  }
  if (Array.isArray(v)) {
    if (!v.length) return h('span.muted', 'none');
    if (v.every((x) => x === null || typeof x !== 'object')) return v.map((x) => (typeof x === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(x) ? fmtDay(x) : String(x))).join(', ');
    return h('ul.plain', v.map((x) => h('li', val(x, field))));
  }
  return record(v);
}

function record(o) {
  const titleKey = TITLE_KEYS.find((k) => typeof o[k] === 'string' && o[k]);
  const facts = FACT_KEYS.filter((k) => k !== titleKey && o[k] !== undefined && o[k] !== null && o[k] !== '' && typeof o[k] !== 'object')
    .map((k) => (STATE_FIELDS.has(k) ? stateLabel(o[k]) : WORD_FIELDS.has(k) ? humanize(o[k]) : /^\d{4}-\d{2}-\d{2}$/.test(String(o[k])) ? fmtDay(o[k]) : String(o[k])));
  if (titleKey || facts.length) return h('span.cmp-record', facts.length ? h('span.cmp-record-facts', facts.join(' · ')) : null, titleKey ? h('span.cmp-record-text', o[titleKey]) : null);
  const entries = Object.entries(o).filter(([, x]) => x !== '' && x !== null && x !== undefined);
  if (!entries.length) return h('span.muted', '—');
  return h('span.cmp-record', entries.map(([k, x]) => h('span.cmp-kv', h('b', humanize(k)), ': ', typeof x === 'object' ? val(x, k) : val(x, k))));
}

// ---------------------------------------------------------------- the form

// One point: a date, a position, a signed checkpoint (auditors) or now.
function pointControl(name, legend, point, { allowNow }) {
  const kinds = [['date', 'Date'], ['position', 'Position'], ['checkpoint', 'Signed checkpoint']];
  if (allowNow) kinds.push(['now', 'Now']);
  const radios = kinds.map(([k, label]) => {
    const id = `cmp-${name}-${k}`;
    const input = h('input', { type: 'radio', name: `cmp-${name}-kind`, id, value: k });
    input.addEventListener('change', show);
    return { k, input, wrap: h('label.cmp-kind', { for: id }, input, h('span', label)) };
  });
  const day = h('input', { type: 'date', id: `cmp-${name}-day`, max: todayUtc(0) });
  const position = h('input', { type: 'number', id: `cmp-${name}-position`, min: 0, step: 1, inputmode: 'numeric' });
  const checkpoint = h('select', { id: `cmp-${name}-checkpoint` });
  const parts = {
    date: h('div.field', h('label', { for: day.id }, `${legend}: the end of the day (UTC)`), day),
    position: h('div.field', h('label', { for: position.id }, `${legend}: position in the log`), position),
    checkpoint: h('div.field', h('label', { for: checkpoint.id }, `${legend}: signed checkpoint`), checkpoint),
    now: h('p.muted.cmp-now-note', 'The ISMS as it stands now.'),
  };
  const el = h('fieldset.cmp-point', { dataset: { point: name } },
    h('legend', legend),
    h('div.cmp-kinds', radios.map((r) => r.wrap)),
    Object.values(parts));
  let known = [];

  function show() {
    const k = current();
    for (const [kind, part] of Object.entries(parts)) part.hidden = kind !== k;
    radios.find((r) => r.k === 'checkpoint').wrap.hidden = !known.length && k !== 'checkpoint';
  }
  function current() { return (radios.find((r) => r.input.checked) || radios[0]).k; }
  function set(p) {
    for (const r of radios) r.input.checked = r.k === p.kind;
    if (p.kind === 'date') day.value = p.day;
    if (p.kind === 'position') position.value = String(p.position);
    if (p.kind === 'checkpoint') {
      if (![...checkpoint.options].some((o) => o.value === String(p.position)))
        checkpoint.append(h('option', { value: String(p.position) }, `Position ${p.position}`));
      checkpoint.value = String(p.position);
    }
    show();
  }
  function value() {
    const k = current();
    if (k === 'now') return { kind: 'now' };
    if (k === 'date') return { kind: 'date', day: day.value };
    if (k === 'checkpoint') return { kind: 'checkpoint', position: Number(checkpoint.value) };
    return { kind: 'position', position: position.value === '' ? NaN : Number(position.value) };
  }
  function read() {
    const p = value();
    if (p.kind === 'date' && !parsePoint(p.day)) throw new Error(`${legend}: choose a day.`);
    if ((p.kind === 'position' || p.kind === 'checkpoint') && !(Number.isInteger(p.position) && p.position >= 0))
      throw new Error(`${legend}: ${p.kind === 'position' ? 'enter a position of 0 or more' : 'choose a checkpoint'}.`);
    return p;
  }
  // The signed checkpoints, oldest first (GET /api/checkpoints).
  function setCheckpoints(list) {
    known = list;
    const chosen = checkpoint.value;
    replace(checkpoint, [...list].reverse().map((c) => h('option', { value: String(c.position) }, `${fmtInstant(c.time)} — position ${c.position}`)));
    if (chosen && ![...checkpoint.options].some((o) => o.value === chosen)) checkpoint.append(h('option', { value: chosen }, `Position ${chosen}`));
    if (chosen) checkpoint.value = chosen;
    show();
  }
  set(point);
  return { el, read, value, set, checkpoints: setCheckpoints };
}
