// Management reviews (9.3): the programme — when the next review is due, each
// review's state, decisions and actions — and scheduling a new one.

import { h, replace, day, monthsAhead } from '../dom.js';
import { app } from '../state.js';
import { toast, stateChip, chip, field, openDialog, empty, registerScreen } from '../ui.js';
import { userOptions, nextId, person, personName } from '../directory.js';

export async function render(ctx) {
  const { page, body, reload } = registerScreen(ctx, {
    view: 'reviews',
    csv: [['management_reviews', 'Reviews'], ['review_actions', 'Review actions']],
    title: 'Management review',
    subtitle: 'Top management reviews the ISMS at planned intervals (9.3): inputs a–g, decisions, actions, approved minutes.',
    action: ['review.schedule', '+ Schedule a review', scheduleDialog],
    draw,
  });

  function draw(data) {
    const reviews = (data.reviews || []).slice().sort((a, b) => (a.planned_on < b.planned_on ? 1 : -1));
    replace(body,
      h('div.kpis',
        h('div.kpi', { class: data.review_due ? 'bad' : '' }, h('div.kpi-value', day(data.next_review_due_on)), h('div.kpi-label', data.review_due ? 'Next review is due' : 'Next review due')),
        h('div.kpi', h('div.kpi-value', String(reviews.length)), h('div.kpi-label', 'Reviews in the programme')),
        h('div.kpi', { class: reviews.some((r) => r.overdue_actions) ? 'bad' : 'ok' }, h('div.kpi-value', String(reviews.reduce((s, r) => s + (r.overdue_actions || 0), 0))), h('div.kpi-label', 'Overdue review actions'))),
      reviews.length ? h('section.card', h('div.table-wrap', h('table.data.responsive', { 'aria-label': 'Management reviews' },
        h('thead', h('tr', h('th', 'Review'), h('th', 'Planned'), h('th', 'Chair'), h('th', 'State'), h('th', 'Decisions'), h('th', 'Actions'))),
        h('tbody', reviews.map((r) => h('tr', { dataset: { review: r.id } },
          h('td.cell-main', { 'data-label': 'Review' }, h('a.rowlink', { href: `#/reviews/${encodeURIComponent(r.id)}` }, `Management review ${r.id}`),
            r.state === 'open' ? h('span', ' ', chip('● in session — join', 'ok')) : null),
          h('td', { 'data-label': 'Planned' }, day(r.planned_on), r.held_on ? h('div.muted', { style: 'font-size:.82rem' }, 'held ', day(r.held_on)) : null),
          h('td', { 'data-label': 'Chair' }, person(r.chair)),
          h('td', { 'data-label': 'State' }, stateChip(r.state)),
          h('td', { 'data-label': 'Decisions' }, String((r.decisions || []).length)),
          h('td', { 'data-label': 'Actions' }, `${(r.actions || []).filter((a) => a.done).length}/${(r.actions || []).length} done`,
            r.overdue_actions ? h('span.overdue', ` · ${r.overdue_actions} overdue`) : null))))))) :
        empty('No management review yet', 'The ISMS manager schedules the first review; its inputs are assembled from the live registers.'));
  }

  await reload();
  return page;
}

async function scheduleDialog(data) {
  const chairs = await userOptions('top_management');
  const year = new Date().getUTCFullYear();
  const suggested = nextId(`MR-${year}-`, ((data && data.reviews) || []).map((r) => r.id));
  openDialog({
    title: 'Schedule a management review',
    fields: h('div.form-grid',
      field({ label: 'Review id', name: 'review_id', value: suggested, required: true }),
      field({ label: 'Planned on', name: 'planned_on', type: 'date', value: monthsAhead(data, 1), required: true }),
      field({ label: 'Chair (top management)', name: 'chair', type: 'select', options: [['', 'Choose…'], ...chairs], required: true }),
      field({ label: 'Interval (months)', name: 'interval_months', type: 'number', value: 12, min: 1, max: 36, required: true })),
    submitLabel: 'Schedule',
    onSubmit: async (v) => {
      await app.command('review.schedule', `review-${v.review_id}`, { review_id: v.review_id, planned_on: v.planned_on, chair: v.chair, interval_months: v.interval_months }, { expectedVersion: 0 });
      toast(`Review ${v.review_id} scheduled; ${personName(v.chair)} is told.`, { kind: 'ok' });
      location.hash = `#/reviews/${encodeURIComponent(v.review_id)}`;
    },
  });
}
