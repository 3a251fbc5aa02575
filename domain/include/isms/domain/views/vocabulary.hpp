#pragma once
// The words of the registers as people read them: per register, its states in
// lifecycle order, each with its human label. Served to clients (the session
// reply's `vocabulary`) so that no client keeps its own list of states; each
// view's `state` filter accepts every state listed here.
//
// Thread-safety: a pure function.

#include "isms/domain/core.hpp"

namespace isms::domain::views {

// {"risks": [{"state": "identified", "label": "Identified"}, …], "documents": …,
//  "nonconformities": …, "objectives": …, "approvals": …, "audits": …, "reviews": …}
// Each key is the view whose entries carry these states in `state`.
[[nodiscard]] json vocabulary();

}  // namespace isms::domain::views
