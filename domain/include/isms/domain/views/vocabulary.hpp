#pragma once
// The words of the registers as people read them: per register, its states in
// lifecycle order, each with its human label. Served to clients (the session
// reply's `vocabulary`) so that no client keeps its own list of states; each
// view's `state` filter accepts every state listed here.
//
// Thread-safety: a pure function.

#include "isms/domain/core.hpp"

namespace isms::domain::views {

// {"risks": [{"state": "identified", "label": "Identified", "tone": "neutral"}, …],
//  "documents": …, "nonconformities": …, "objectives": …, "approvals": …,
//  "audits": …, "reviews": …, "soa_applicability": …, "soa_status": …,
//  "corrective_actions": …}
// The first seven keys are views whose entries carry these states in `state`;
// soa_applicability and soa_status are the `soa` view's per-control choices
// (its `applicability` and `status` filters); corrective_actions the status
// of a nonconformity's action. Each state has a tone (how it stands: ok,
// info, warn, bad, neutral, muted); a nonconformity's state also names its
// step of 10.2 (`stage`), by which the board groups them.
[[nodiscard]] json vocabulary();

}  // namespace isms::domain::views
