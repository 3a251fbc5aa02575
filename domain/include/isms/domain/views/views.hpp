#pragma once
// The ISMS views: projections of the event log as pure folds.
//
//   all_views v = initial_views();
//   for (const recorded_event& e : log) v = evolve(std::move(v), e);
//   auto risks = query(v, "risks", params, viewer, today);
//
// The server keeps one all_views in memory, fed by the store's subscription;
// a view as of any past position is the fold up to that position, and a
// persisted snapshot plus the events after it equals the full fold (the
// snapshot codec is an exact round trip). The fold never fails: an event it
// cannot decode, or of a type it does not know, is skipped and counted in
// `skipped`, never a crash. Every view and its JSON shape is written out in
// docs/views.md.
//
// Thread-safety: value types and pure functions; an all_views is owned by one
// thread at a time (the server's projection executor).

#include <cstdint>
#include <deque>
#include <expected>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/views/activity.hpp"
#include "isms/domain/views/approvals.hpp"
#include "isms/domain/views/assets.hpp"
#include "isms/domain/views/evidence.hpp"
#include "isms/domain/views/audits.hpp"
#include "isms/domain/views/documents.hpp"
#include "isms/domain/views/incidents.hpp"
#include "isms/domain/views/nonconformities.hpp"
#include "isms/domain/views/objectives.hpp"
#include "isms/domain/views/reviews.hpp"
#include "isms/domain/views/risk_register.hpp"
#include "isms/domain/views/scope.hpp"
#include "isms/domain/views/soa.hpp"
#include "isms/domain/views/suppliers.hpp"
#include "isms/domain/views/users.hpp"

namespace isms::domain::views {

// An event the fold skipped, and why.
struct skipped_event {
  std::uint64_t position = 0;
  std::string stream;
  std::string type;
  std::string reason;

  friend bool operator==(const skipped_event&, const skipped_event&) = default;
};
ISMS_VIEW_FIELDS(skipped_event, position, stream, type, reason)

// How many skipped events are kept with their reason. Default: 20 (the latest).
inline constexpr std::size_t skipped_kept = 20;

// The views an all_views holds. The server's live views hold every one; a
// view asked for as of a past position needs only those its query reads
// (views_read_by), so that time travel restores and folds only those. A set
// is closed when the folds of its views read no view outside it (the
// approvals fold reads its subjects' views, for instance); folding a set
// that is not closed gives views that differ from the full fold.
enum class stored_view : std::uint8_t {
  risks,
  soa,
  objectives,
  nonconformities,
  approvals,
  documents,
  audits,
  reviews,
  scope,
  users,
  incidents,
  suppliers,
  assets,
  evidence,
  activity,  // keep last: view_set::every() counts up to it
};

class view_set {
 public:
  constexpr view_set() = default;  // none
  constexpr view_set(std::initializer_list<stored_view> views) {
    for (stored_view v : views) bits_ |= bit(v);
  }
  [[nodiscard]] static constexpr view_set every() {
    view_set s;
    s.bits_ = bit(stored_view::activity) * 2 - 1;
    return s;
  }
  [[nodiscard]] constexpr bool has(stored_view v) const noexcept { return (bits_ & bit(v)) != 0; }
  [[nodiscard]] constexpr bool covers(view_set other) const noexcept { return (bits_ & other.bits_) == other.bits_; }
  [[nodiscard]] constexpr bool whole() const noexcept { return covers(every()); }
  [[nodiscard]] constexpr view_set with(stored_view v) const noexcept {
    view_set s = *this;
    s.bits_ |= bit(v);
    return s;
  }
  friend constexpr bool operator==(view_set, view_set) = default;

 private:
  static constexpr std::uint16_t bit(stored_view v) noexcept {
    return static_cast<std::uint16_t>(1u << static_cast<unsigned>(v));
  }
  std::uint16_t bits_ = 0;
};

// The views that query(v, view, …) reads, with everything their folds read
// in turn: a fold of only these views, from a snapshot restored with only
// these, gives the same answer as the fold of every view. Every view for an
// unknown name.
[[nodiscard]] view_set views_read_by(std::string_view view);

// Whether folding an event of `type` changes any view of `held` (events that
// change none pass by without their payload being read).
[[nodiscard]] bool folds_into(view_set held, std::string_view type);

struct all_views {
  std::uint64_t position = 0;  // the last event folded; 0 before any
  instant as_of{};             // its recorded_at
  std::uint64_t skipped = 0;   // events the fold could not decode or does not know
  std::deque<skipped_event> skipped_recent;

  risk_register risks;
  soa_view soa;
  objectives_view objectives;
  nonconformities_view nonconformities;
  approvals_view approvals;
  documents_view documents;
  audits_view audits;
  reviews_view reviews;
  scope_view scope;
  users_view users;
  incidents_view incidents;
  suppliers_view suppliers;
  assets_view assets;
  evidence_view evidence;
  activity_view activity;

  // Whether entities keep their history (one line per event of their
  // stream). The history grows with the log, not with the live state, so the
  // server's long-lived views drop it after each fold (false) and answer the
  // views that show one from the entity's own stream (history_stream,
  // stream_history). Not part of the snapshot. Default: true.
  bool keep_history = true;

  // Events before this position leave no line in the activity feed. A fold
  // that knows where it ends (time travel to a position P) sets it to
  // P - activity_capacity + 1: positions are dense, so the lines it skips are
  // the ones the feed would drop before P. Not part of the snapshot.
  // Default: 0 (every event).
  std::uint64_t activity_from = 0;

  // The views this value holds; the others stay empty and their events pass
  // by (only position and as_of move). Set by decode_snapshot. Not part of
  // the snapshot. Default: every view.
  view_set held = view_set::every();

  friend bool operator==(const all_views&, const all_views&) = default;
};

[[nodiscard]] all_views initial_views();

// The fold: never fails; an event it cannot decode or does not know is
// skipped (counted in `skipped`), never a crash. Events must come in position
// order; an event at or before `position` (a replay) changes nothing. Of
// views that hold only some (`held`), an event that folds into none of them
// moves only position and as_of.
[[nodiscard]] all_views evolve(all_views v, const recorded_event& e);
// The same fold on the views in place: what a long fold uses, since all_views
// holds dozens of containers and moving it in and out per event shows.
void evolve_in_place(all_views& v, const recorded_event& e);

// Snapshot codec: restore_snapshot(snapshot(v)) == v, also through the JSON
// text (dump / parse). A snapshot records its format version; restore
// refuses another version or a malformed document with a message naming the
// part that failed.
[[nodiscard]] json snapshot(const all_views& v);
[[nodiscard]] std::expected<all_views, std::string> restore_snapshot(const json& j);

// The same content in binary (binary_codec.hpp): each structure's fields in
// declaration order, no JSON tree on either side, so that a snapshot of
// megabytes restores in milliseconds. decode_snapshot(encode_snapshot(v)) ==
// v. The bytes start with a tag (is_binary_snapshot) and record the layout of
// the views they were written with: decode refuses another layout, a
// truncated or corrupted input, or trailing bytes, with a message naming the
// view that failed; it never reads past the end nor allocates more than the
// input could fill.
//
// Each view is stored as a section of its own, prefixed by its length:
// decode_snapshot(bytes, only) decodes the views of `only` and steps over the
// rest (the result holds `only`). Snapshots of the first binary format, one
// run of every view without lengths, are still read whole.
//
// `size_hint`: the size of a recent snapshot of the same views, if known, so
// that the bytes are allocated once rather than grown by copies. Default: 0.
[[nodiscard]] std::string encode_snapshot(const all_views& v, std::size_t size_hint = 0);
[[nodiscard]] std::expected<all_views, std::string> decode_snapshot(std::string_view bytes,
                                                                    view_set only = view_set::every());
[[nodiscard]] bool is_binary_snapshot(std::string_view bytes);

// How many leading bytes of a snapshot decode_snapshot(bytes, only) reads:
// the end of the last section of `only` (sections are stored in the order of
// stored_view), as soon as `prefix`, the first bytes of the snapshot, shows
// where that is; nullopt while it does not (read more), and for a snapshot
// without sections or not binary (read it whole). decode_snapshot(bytes,
// only) with `only` short of every view stops after its last section, so
// those leading bytes are all it needs.
[[nodiscard]] std::optional<std::size_t> snapshot_bytes_for(std::string_view prefix, view_set only);

// The format version of snapshot(). Default: 1.
inline constexpr int snapshot_format = 1;

// The named view, filtered by params, as the viewer may see it. Unknown view
// or bad params → rejection{invalid, field, message} (field "view" or
// "params.<name>"); an entity asked for by id that does not exist →
// not_found; a viewer without any role → forbidden. `today` is the day the
// time rules (overdue, review due, expiring) are evaluated on.
//
// `window` (offset, limit) asks a list view for one page of its rows: views
// that can build only the rows of the page (`risks`, `approvals`) do so and
// mark the answer with "window": true; their `count` and aggregates still
// cover every matching row. Others answer whole.
[[nodiscard]] std::expected<json, rejection> query(const all_views& v, std::string_view view,
                                                   const json& params, const actor& viewer,
                                                   date today, std::optional<row_window> window = std::nullopt);

// What `stream` is about in `v`, in a few words (a risk's title), for the
// activity feed; "" when the views know no title for it.
[[nodiscard]] std::string subject_title(const all_views& v, const std::string& stream);

// The names query() answers, in documentation order.
[[nodiscard]] std::vector<std::string_view> view_names();

// The difference between two results of the same query (see docs/views.md):
// {"equal", "added": [{path, id, value}], "removed": [{path, id, value}],
//  "changed": [{path, entity, id, before, after}]}. Lists whose entries are all
// objects with an "id" are matched by id; other lists of the same length
// entry by entry; anything else is compared as a whole value.
[[nodiscard]] json diff(const json& before, const json& after);

// Who must be told about an event, computed on the views after folding it.
struct notification {
  std::string id;              // "n-<position>-<user_id>": deterministic, one per user and event
  std::string user_id;
  std::string kind;            // approval_requested, approval_approved, approval_rejected, …
  std::string title;           // one line for the user
  std::string subject_stream;  // what it is about
  std::string approval_id;     // when it is about an approval, else empty
  std::uint64_t position = 0;  // the event

  friend bool operator==(const notification&, const notification&) = default;
};

[[nodiscard]] json to_json(const notification& n);

[[nodiscard]] std::vector<notification> notifications_for(const all_views& after,
                                                          const recorded_event& e);

// The subject's approval-relevant content as the views hold it now (what an
// approval of it would bind); null for a stream that is no approval subject.
[[nodiscard]] json subject_content(const all_views& v, std::string_view stream);

// `due`: what is due at `today` (see docs/views.md).
[[nodiscard]] json due_at(const all_views& v, date today);

// What a management review's inputs pack compares against: the parts of the
// views that 9.3.2 a–g speak of, as they stand in `v` (recorded in the
// reviews view when a review's inputs are assembled).
[[nodiscard]] json review_baseline(const all_views& v);

// The 9.3.2 a–g inputs pack of review `review_id` as changes from `previous`
// (a baseline, review_baseline) to `now` — one member per input, named as
// management_review::to_string(input), so that it can be carried by
// review.assemble_inputs. `previous_review_id` names the baseline's review
// ("" for none: everything counts as new).
[[nodiscard]] json review_pack(const json& previous, std::string_view previous_review_id,
                               const all_views& now, std::string_view review_id, date today);

// The same from the views at the previous review's position (the server's
// time travel) and now.
[[nodiscard]] json review_pack(const all_views& previous, std::string_view previous_review_id,
                               const all_views& now, std::string_view review_id, date today);

// Entity histories on demand (for views kept with keep_history = false).
// The stream whose history `answer` (query's answer of `view`) carries under
// "history" ("risk", "document", "nonconformity", "incident": the entity's stream, as
// the answer names it; "scope": the scope's), or "" when it shows none.
[[nodiscard]] std::string history_stream(std::string_view view, const json& answer);

// The history of the entity recorded on the stream of `events` (that
// stream's events in order, up to the position asked about), exactly as the
// fold with histories kept shows it: an entity's history lines depend only on
// its own stream's events. A JSON array; empty when no entity lives there.
[[nodiscard]] json stream_history(std::span<const recorded_event> events);

// `inbox`: what waits for `viewer` — approvals they may decide now and their
// overdue actions.
[[nodiscard]] json inbox_of(const all_views& v, const actor& viewer, date today);

}  // namespace isms::domain::views
