// One risk: identification, assessment, treatment plan, acceptance, and its
// whole history as a timeline (who, when, why) — the `risk` view. The ISMS
// manager (and the risk owner, for their own risks) assess and plan
// treatment here; the ISMS manager requests acceptance.

import { h, replace, day, instant, humanize, todayUtc, monthsAhead } from '../dom.js';
import { app } from '../state.js';
import { pageHeader, loading, toast, levelChip, stateChip, chip, field, openDialog, writeButton, facts, section, userError, followView } from '../ui.js';
import { riskMatrix, rate, annexA } from '../matrix.js';
import { userOptions, person, people, personName, readable } from '../directory.js';
import { evidenceSection } from '../evidence.js';
import { assetOptions } from './assets.js';

export async function render(ctx) {
  // The registered assets as links, each with its name once it is known.
  function assetLinks(ids) {
    return h('span.row', ids.map((a) => {
      const name = h('span.muted');
      assetNames.then((n) => { if (n[a]) name.textContent = ` ${n[a]}`; });
      return h('span', { dataset: { assetLink: a } }, h('a', { href: `#/assets/${encodeURIComponent(a)}` }, a), name);
    }));
  }

  const id = ctx.params.id;
  const body = h('div', loading());
  // Made once: a redraw of the page keeps it (it follows the evidence view itself).
  const evidence = evidenceSection(ctx, 'risk', id, { hint: 'Treatment evidence: what shows the controls are in place' });
  const head = h('div', pageHeader(`Risk ${id}`, { back: ['#/risks', 'Risk register'] }));
  // The names of the inventory's assets, for the links to those the risk concerns.
  const assetNames = app.query('assets', {})
    .then((d) => Object.fromEntries((d.assets || []).map((a) => [a.id, a.name])))
    .catch(() => ({}));
  const page = h('div', head, body);

  const reload = followView(ctx, 'risk', { body, params: () => ({ id }), draw });

  function draw(r) {
    evidence.setOwner(r.owner);
    // What the risk's state admits comes with the risk (allowed_commands);
    // whether this user acts only on their own risks comes with the session.
    const on = { on: r, owner: r.owner };
    const assessLabel = r.inherent && r.inherent.score ? 'Reassess' : 'Assess';
    const actions = [
      writeButton('risk.assess', assessLabel, () => assessDialog(r), { kind: r.state === 'identified' || r.state === 'acceptance_expired' ? 'primary' : 'quiet', ...on }),
      writeButton('risk.plan_treatment', r.treatment && r.treatment.option ? 'Revise treatment plan' : 'Plan treatment', () => treatmentDialog(r), { kind: r.state === 'assessed' ? 'primary' : 'quiet', ...on }),
      writeButton('risk.request_acceptance', 'Request acceptance', () => acceptanceDialog(r), { ...on }),
      writeButton('risk.change_owner', 'Change owner', () => changeOwnerDialog(r), { kind: 'quiet', ...on }),
      writeButton('risk.link_assets', 'Link assets', () => linkAssetsDialog(r), { kind: 'quiet', ...on }),
      writeButton('risk.retire', 'Retire', () => retireDialog(r), { kind: 'danger', ...on }),
    ];
    replace(head, pageHeader(r.title || `Risk ${id}`, {
      back: ['#/risks', 'Risk register'],
      subtitle: h('span.row', h('span.id-cell', r.id), stateChip(r.state), h('span', 'Owner: ', h('b', person(r.owner)))),
      actions,
    }));
    const acc = r.acceptance || {};
    const t = r.treatment || {};
    replace(body,
      acc.state === 'requested' ? h('div.signin-note', { role: 'note' },
        'Acceptance of the residual risk is waiting for approval. ',
        acc.approval_id ? h('a', { href: `#/approvals/${encodeURIComponent(acc.approval_id)}` }, 'See the request and who decides it') : null) : null,
      r.state === 'acceptance_expired' ? h('div.form-error', { role: 'note' }, 'The acceptance reached its review date and expired: the risk must be reassessed.') : null,
      h('div.grid-2',
        section('Identification', facts([
          (r.asset_ids || []).length ? ['Assets', assetLinks(r.asset_ids)] : null,
          r.asset ? [(r.asset_ids || []).length ? 'Asset (in words)' : 'Asset', r.asset] : null,
          ['Threat', r.threat], ['Vulnerability', r.vulnerability], ['Category', r.category],
          r.description ? ['Description', r.description] : null,
        ])),
        section('Assessment',
          r.inherent && r.inherent.score
            ? [h('div.row', { style: 'margin-bottom:10px' }, levelChip(r.inherent.level, r.inherent.score),
                h('span', `likelihood ${r.inherent.likelihood} × impact ${r.inherent.impact}`),
                r.inherent.within_appetite === false ? chip('Above appetite', 'bad') : chip('Within appetite', 'ok')),
              r.assessment_rationale ? h('p.tl-why', r.assessment_rationale) : null]
            : h('p.muted', 'Not assessed yet.'))),
      h('div.grid-2', { style: 'margin-top:18px' },
        section('Treatment plan',
          t.option
            ? facts([
              ['Option', humanize(t.option)],
              ['Annex A controls', (t.controls || []).length ? h('span', (t.controls || []).map((c) => h('a.chip.tone-info', { href: `#/soa?control=${encodeURIComponent(c)}`, style: 'margin-right:4px;text-decoration:none' }, c))) : 'none'],
              ['Actions', t.actions],
              ['Due', day(t.due)],
              ['Target residual', t.target && t.target.score ? levelChip(t.target.level, t.target.score) : '—'],
              ['Implemented', t.implemented_on
                ? h('span', { dataset: { testid: 'treatment-implemented' } }, chip(['Implemented ', day(t.implemented_on)], 'ok'), ' ', t.evidence)
                : (t.due && t.due < todayUtc() ? h('b.overdue', 'Not yet — overdue') : 'Not yet')],
            ])
            : h('p.muted', 'No treatment planned yet.'),
          app.mayOn(r, 'risk.record_treatment_implemented', r.owner)
            ? h('div.row', { style: 'margin-top:12px' }, writeButton('risk.record_treatment_implemented', 'Record as implemented', () => implementedDialog(r), { small: true, kind: 'quiet', on: r, owner: r.owner }))
            : null),
        section('Residual risk and acceptance',
          facts([
            ['Residual', r.residual && r.residual.score ? h('span', levelChip(r.residual.level, r.residual.score), ` ${r.residual.likelihood} × ${r.residual.impact}`) : '—'],
            ['Within appetite', r.residual && r.residual.score ? (r.within_appetite ? 'yes' : h('b.overdue', 'no')) : '—'],
            ['Acceptance', acc.state ? stateChip(acc.state === 'requested' ? 'requested' : acc.state) : 'not requested'],
            acc.accepted_by && acc.accepted_by.length ? ['Accepted by', h('span', people(acc.accepted_by))] : null,
            acc.accepted_at ? ['Accepted at', instant(acc.accepted_at)] : null,
            acc.accepted_until ? ['Accepted until', day(acc.accepted_until)] : null,
            acc.requested_review_date ? ['Review date asked', day(acc.requested_review_date)] : null,
            acc.rejected_by ? ['Rejected by', person(acc.rejected_by)] : null,
          ]))),
      evidence,
      section(h('span', 'History ', h('span.muted', { style: 'font-weight:400' }, `(${(r.history || []).length} events)`)), timeline(r.history || [])));
  }

  await reload();
  return page;
}

export function timeline(history) {
  if (!history.length) return h('p.muted', 'No event yet.');
  return h('ol.timeline', { 'aria-label': 'History' }, history.map((e) => h('li',
    h('div.tl-when', instant(e.at), h('div.tl-pos', `position ${e.position} · v${e.version}`)),
    h('div',
      h('div.tl-what', e.summary ? readable(e.summary) : humanize(e.type)),
      h('div.tl-who', 'by ', h('b', person(e.by)), ' · ', h('code.event-type', e.type)),
      e.comment ? h('div.tl-why', e.comment) : null))));
}

async function ratingFields(matrix, prefix, l, i, labelL, labelI) {
  const lo = matrix.likelihood_labels.map((x, k) => [String(k + 1), `${k + 1} — ${x}`]);
  const io = matrix.impact_labels.map((x, k) => [String(k + 1), `${k + 1} — ${x}`]);
  const out = h('output.chip', { 'aria-live': 'polite' });
  const fl = field({ label: labelL, name: `${prefix}likelihood`, type: 'select', value: l ? String(l) : '3', options: lo, required: true });
  const fi = field({ label: labelI, name: `${prefix}impact`, type: 'select', value: i ? String(i) : '3', options: io, required: true });
  const upd = () => {
    const x = rate(matrix, Number(fl.querySelector('select').value), Number(fi.querySelector('select').value));
    out.className = `chip lvl-${x.level}`;
    out.textContent = `${humanize(x.level)} — score ${x.score}`;
  };
  fl.querySelector('select').addEventListener('change', upd);
  fi.querySelector('select').addEventListener('change', upd);
  upd();
  return [fl, fi, h('div.span-2.field', h('span', { style: 'font-weight:600;font-size:.9rem' }, 'Resulting level: ', out))];
}

async function assessDialog(r) {
  const matrix = await riskMatrix();
  openDialog({
    title: `Assess risk ${r.id}`,
    intro: 'Rate the likelihood and the impact on the risk matrix, and say why (6.1.2 d).',
    fields: h('div.form-grid',
      await ratingFields(matrix, '', r.inherent && r.inherent.likelihood, r.inherent && r.inherent.impact, 'Likelihood', 'Impact'),
      h('div.span-2', field({ label: 'Rationale', name: 'rationale', type: 'textarea', required: true, value: '', hint: 'Why this likelihood and impact — evidence, incidents, expert judgement.' }))),
    submitLabel: 'Record assessment',
    onSubmit: async (v) => {
      await app.command('risk.assess', r.stream, { likelihood: Number(v.likelihood), impact: Number(v.impact), rationale: v.rationale }, { expectedVersion: r.version });
      toast(`Assessment of ${r.id} recorded.`, { kind: 'ok' });
    },
  });
}

async function treatmentDialog(r) {
  const [matrix, catalogue] = await Promise.all([riskMatrix(), annexA().catch(() => [])]);
  const t = r.treatment || {};
  const known = new Set(catalogue.map((c) => c.id));
  const list = h('datalist#annex-a-list', catalogue.map((c) => h('option', { value: c.id }, `${c.id} ${c.title}`)));
  openDialog({
    title: `Plan treatment of ${r.id}`,
    intro: 'Choose the treatment option, the Annex A controls that implement it, and the residual risk you aim for (6.1.3).',
    wide: true,
    fields: h('div.form-grid',
      field({ label: 'Option', name: 'option', type: 'select', value: t.option || 'modify', required: true,
        options: [['modify', 'Modify — reduce with controls'], ['avoid', 'Avoid — stop the activity'], ['share', 'Share — insure or transfer'], ['retain', 'Retain — keep by informed decision']] }),
      field({ label: 'Due', name: 'due', type: 'date', value: t.due || monthsAhead(r, 3), required: true }),
      h('div.span-2', field({ label: 'Annex A controls', name: 'controls', value: (t.controls || []).join(', '), hint: 'Control numbers separated by commas, e.g. 8.7, 8.8, 5.15', placeholder: '8.7, 8.8' })),
      list,
      h('div.span-2', field({ label: 'Treatment actions', name: 'actions', type: 'textarea', required: true, value: t.actions || '' })),
      await ratingFields(matrix, 'target_', t.target && t.target.likelihood, t.target && t.target.impact, 'Target residual likelihood', 'Target residual impact')),
    submitLabel: 'Save treatment plan',
    onSubmit: async (v) => {
      const controls = String(v.controls || '').split(/[\s,;]+/).map((c) => c.replace(/^A\./i, '')).filter(Boolean);
      const unknown = known.size ? controls.filter((c) => !known.has(c)) : [];
      if (unknown.length) throw userError(`Not an Annex A control of ISO/IEC 27001:2022: ${unknown.join(', ')}.`);
      await app.command('risk.plan_treatment', r.stream, {
        option: v.option, controls, actions: v.actions,
        target_likelihood: Number(v.target_likelihood), target_impact: Number(v.target_impact), due: v.due,
      }, { expectedVersion: r.version });
      toast(`Treatment plan of ${r.id} saved.`, { kind: 'ok' });
    },
  });
  const input = document.querySelector('dialog input[name=controls]');
  if (input) input.setAttribute('list', 'annex-a-list');
}

function acceptanceDialog(r) {
  const above = r.residual && r.residual.score && r.within_appetite === false;
  openDialog({
    title: `Request acceptance of ${r.id}`,
    intro: `The risk owner (${personName(r.owner)}) is asked to accept the residual risk${above ? ', then top management, because it is above the risk appetite' : ''} (6.1.3 f).`,
    fields: [
      field({ label: 'Accepted until (review date)', name: 'review_date', type: 'date', value: monthsAhead(r, 12), required: true }),
      field({ label: 'Comment for the approvers', name: 'comment', type: 'textarea', hint: 'What the approvers should know.' }),
    ],
    submitLabel: 'Request acceptance',
    onSubmit: async (v) => {
      const data = { review_date: v.review_date };
      if (v.comment) data.comment = v.comment;
      await app.command('risk.request_acceptance', r.stream, data, { expectedVersion: r.version, comment: v.comment || undefined });
      toast(`Acceptance of ${r.id} requested. ${personName(r.owner)} is notified.`, { kind: 'ok' });
    },
  });
}

function implementedDialog(r) {
  openDialog({
    title: `Treatment of ${r.id} implemented`,
    intro: 'Record that the planned treatment is in place (8.3), with what shows it: a report, a ticket, a configuration export.',
    fields: [field({ label: 'Evidence', name: 'evidence', type: 'textarea', required: true })],
    submitLabel: 'Record as implemented',
    onSubmit: async (v) => {
      await app.command('risk.record_treatment_implemented', r.stream, { evidence: v.evidence }, { expectedVersion: r.version, comment: v.evidence });
      toast(`The treatment of ${r.id} is recorded as implemented.`, { kind: 'ok' });
    },
  });
}

async function changeOwnerDialog(r) {
  const owners = (await userOptions('risk_owner')).filter(([id]) => id !== r.owner);
  openDialog({
    title: `Change the owner of risk ${r.id}`,
    intro: r.state === 'acceptance_requested'
      ? `The new owner decides on acceptance: the request now waiting for ${personName(r.owner)} is withdrawn, and you request acceptance again.`
      : 'The new owner is told at once. An acceptance in force stays in force until its review date.',
    fields: [
      field({ label: 'New owner', name: 'owner', type: 'select', options: [['', 'Choose…'], ...owners], required: true }),
      field({ label: 'Why', name: 'reason', type: 'textarea', required: true }),
    ],
    submitLabel: 'Change owner',
    onSubmit: async (v) => {
      await app.command('risk.change_owner', r.stream, { owner: v.owner, reason: v.reason }, { expectedVersion: r.version, comment: v.reason });
      toast(`Risk ${r.id} now belongs to ${personName(v.owner)}.`, { kind: 'ok' });
    },
  });
}

async function linkAssetsDialog(r) {
  const linked = r.asset_ids || [];
  const options = await assetOptions(linked);
  openDialog({
    title: `Assets of risk ${r.id}`,
    intro: r.asset
      ? `Identified as concerning "${r.asset}". Tick the assets of the inventory it concerns (A.5.9); the words stay in its history.`
      : 'Tick the assets of the inventory the risk concerns (A.5.9).',
    fields: [
      options.length
        ? field({ label: 'Assets', name: 'asset_ids', type: 'checkboxes', options, value: linked })
        : h('p.muted', 'The inventory holds no asset yet.'),
      field({ label: 'Why', name: 'reason', type: 'textarea', required: true }),
    ],
    submitLabel: 'Save the assets',
    onSubmit: async (v) => {
      await app.command('risk.link_assets', r.stream, { asset_ids: v.asset_ids || [], reason: v.reason }, { expectedVersion: r.version, comment: v.reason });
      toast(`The assets of risk ${r.id} are saved.`, { kind: 'ok' });
    },
  });
}

function retireDialog(r) {
  openDialog({
    title: `Retire risk ${r.id}`,
    intro: 'A retired risk leaves the register and the heat maps; its history stays.',
    fields: [field({ label: 'Reason', name: 'reason', type: 'textarea', required: true })],
    submitLabel: 'Retire risk',
    danger: true,
    onSubmit: async (v) => {
      await app.command('risk.retire', r.stream, { reason: v.reason }, { expectedVersion: r.version, comment: v.reason });
      toast(`Risk ${r.id} retired.`, { kind: 'ok' });
    },
  });
}
