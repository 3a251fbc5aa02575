// The risk matrix (labels, bands, appetite) and the Annex A catalogue, read
// once from the views and kept for forms.

import { app } from './state.js';
import { bandOf } from './charts.js';

let matrixCache = null;
let catalogueCache = null;

export async function riskMatrix() {
  if (matrixCache) return matrixCache;
  const data = await app.query('risks', { state: 'retired' }, { now: true });
  matrixCache = data.matrix || { likelihood_labels: ['1', '2', '3', '4', '5'], impact_labels: ['1', '2', '3', '4', '5'], bands: [] };
  return matrixCache;
}

export function rate(matrix, l, i) {
  const score = l * i;
  return { score, level: bandOf(matrix.bands, score) };
}

// [{id, title, theme}] of the 93 Annex A controls, in catalogue order.
export async function annexA() {
  if (catalogueCache) return catalogueCache;
  const data = await app.query('soa', {}, { now: true });
  catalogueCache = (data.themes || []).flatMap((t) => t.controls.map((c) => ({ id: c.id, title: c.title, theme: t.theme })));
  return catalogueCache;
}
