#include "isms/domain/document.hpp"

#include <algorithm>

#include "isms/domain/authorization.hpp"
#include "wire_fields.hpp"

namespace isms::domain::document {

namespace {

using wire::fields;
using wire::overloaded;

constexpr wire::names<document_kind, 3> kinds{{
    {document_kind::policy, "policy"},
    {document_kind::procedure, "procedure"},
    {document_kind::record, "record"},
}};

constexpr wire::names<classification, 4> levels{{
    {classification::public_use, "public"},
    {classification::internal, "internal"},
    {classification::confidential, "confidential"},
    {classification::restricted, "restricted"},
}};

constexpr wire::names<review_outcome, 3> outcomes{{
    {review_outcome::suitable, "suitable"},
    {review_outcome::revision_needed, "revision_needed"},
    {review_outcome::retirement_proposed, "retirement_proposed"},
}};

constexpr wire::names<stage, 4> stages{{
    {stage::draft, "draft"},
    {stage::approval_requested, "approval_requested"},
    {stage::approved, "approved"},
    {stage::published, "published"},
}};

constexpr int max_interval = 60;

void put(json& j, const profile& p) {
  j["title"] = p.title;
  j["owner"] = p.owner;
  j["classification"] = to_string(p.level);
  j["review_interval_months"] = p.review_interval_months;
}

profile read_profile(fields& f) {
  profile p;
  p.title = f.text("title", wire::max_line);
  p.owner = f.id("owner");
  p.level = f.choice("classification", levels);
  p.review_interval_months = static_cast<int>(f.integer("review_interval_months", 1, max_interval));
  return p;
}

std::uint64_t read_version(fields& f) {
  return static_cast<std::uint64_t>(f.integer("document_version", 1, 1'000'000'000));
}

// Who may touch a document beyond the table: a contributor only their own.
// (the commands' `any_entity`, authorization.hpp).
std::optional<rejection> owner_rule(const command_context& ctx, std::string_view command_type,
                                    const std::string& owner) {
  if (!acts_only_on_own(ctx.by, command_type)) return std::nullopt;
  if (ctx.by.user_id == owner) return std::nullopt;
  return rejection{rejection_kind::forbidden, "",
                   "a contributor works only on documents they own (owner: " + owner + ")"};
}

}  // namespace

std::string_view to_string(document_kind k) noexcept { return wire::name_of(kinds, k); }
std::string_view to_string(classification c) noexcept { return wire::name_of(levels, c); }
std::string_view to_string(review_outcome o) noexcept { return wire::name_of(outcomes, o); }
std::string_view to_string(stage s) noexcept { return wire::name_of(stages, s); }

role approver_role(document_kind k) noexcept {
  return k == document_kind::policy ? role::top_management : role::isms_manager;
}

// ---------------------------------------------------------------------------
// Events

new_event encode(const event& e) {
  return std::visit(
      overloaded{
          [](const drafted& x) {
            json d{{"document_id", x.document_id}, {"kind", to_string(x.kind)}};
            put(d, x.about);
            d["text"] = x.text;
            d["content_sha256"] = x.content_sha256;
            d["change_note"] = x.change_note;
            return new_event{std::string(drafted::type), d};
          },
          [](const revised& x) {
            json d{{"document_version", x.document_version}};
            put(d, x.about);
            d["text"] = x.text;
            d["content_sha256"] = x.content_sha256;
            d["change_note"] = x.change_note;
            return new_event{std::string(revised::type), d};
          },
          [](const approval_requested& x) {
            return new_event{std::string(approval_requested::type),
                             {{"document_version", x.document_version},
                              {"content_sha256", x.content_sha256},
                              {"approval", to_json(x.approval)}}};
          },
          [](const approved& x) {
            return new_event{std::string(approved::type),
                             {{"approval_id", x.approval_id},
                              {"document_version", x.document_version},
                              {"content_sha256", x.content_sha256},
                              {"approvers", wire::strings(x.approvers)},
                              {"comment", x.comment}}};
          },
          [](const rejected& x) {
            return new_event{std::string(rejected::type),
                             {{"approval_id", x.approval_id},
                              {"document_version", x.document_version},
                              {"rejected_by", x.rejected_by},
                              {"comment", x.comment}}};
          },
          [](const published& x) {
            return new_event{std::string(published::type),
                             {{"document_version", x.document_version},
                              {"content_sha256", x.content_sha256},
                              {"published_on", format_date(x.published_on)}}};
          },
          [](const reviewed& x) {
            return new_event{std::string(reviewed::type),
                             {{"document_version", x.document_version},
                              {"outcome", to_string(x.outcome)},
                              {"notes", x.notes},
                              {"reviewed_on", format_date(x.reviewed_on)},
                              {"reviewed_by", x.reviewed_by}}};
          },
          [](const retired& x) {
            return new_event{std::string(retired::type),
                             {{"reason", x.reason}, {"retired_on", format_date(x.retired_on)}}};
          },
      },
      e);
}

std::expected<event, std::string> decode(std::string_view type, const json& data) {
  using wire::read_event;
  if (type == drafted::type)
    return read_event<event>(type, data, [](fields& f) {
      drafted x;
      x.document_id = f.id("document_id");
      x.kind = f.choice("kind", kinds);
      x.about = read_profile(f);
      x.text = f.raw_text("text", wire::max_document);
      x.content_sha256 = f.sha256("content_sha256");
      x.change_note = f.opt_text("change_note");
      return x;
    });
  if (type == revised::type)
    return read_event<event>(type, data, [](fields& f) {
      revised x;
      x.document_version = read_version(f);
      x.about = read_profile(f);
      x.text = f.raw_text("text", wire::max_document);
      x.content_sha256 = f.sha256("content_sha256");
      x.change_note = f.opt_text("change_note");
      return x;
    });
  if (type == approval_requested::type)
    return read_event<event>(type, data, [](fields& f) {
      auto req = wire::read_approval_request(f, "approval");
      approval_requested x;
      x.document_version = read_version(f);
      x.content_sha256 = f.sha256("content_sha256");
      x.approval = std::move(req);
      return x;
    });
  if (type == approved::type)
    return read_event<event>(type, data, [](fields& f) {
      approved x;
      x.approval_id = f.text("approval_id", wire::max_line);
      x.document_version = read_version(f);
      x.content_sha256 = f.sha256("content_sha256");
      x.approvers = f.texts("approvers", true);
      x.comment = f.opt_text("comment");
      return x;
    });
  if (type == rejected::type)
    return read_event<event>(type, data, [](fields& f) {
      rejected x;
      x.approval_id = f.text("approval_id", wire::max_line);
      x.document_version = read_version(f);
      x.rejected_by = f.opt_text("rejected_by", wire::max_line);
      x.comment = f.opt_text("comment");
      return x;
    });
  if (type == published::type)
    return read_event<event>(type, data, [](fields& f) {
      published x;
      x.document_version = read_version(f);
      x.content_sha256 = f.sha256("content_sha256");
      x.published_on = f.day("published_on");
      return x;
    });
  if (type == reviewed::type)
    return read_event<event>(type, data, [](fields& f) {
      reviewed x;
      x.document_version = read_version(f);
      x.outcome = f.choice("outcome", outcomes);
      x.notes = f.opt_text("notes");
      x.reviewed_on = f.day("reviewed_on");
      x.reviewed_by = f.opt_text("reviewed_by", wire::max_line);
      return x;
    });
  if (type == retired::type)
    return read_event<event>(type, data, [](fields& f) {
      retired x;
      x.reason = f.opt_text("reason");
      x.retired_on = f.day("retired_on");
      return x;
    });
  return std::unexpected("unknown event type '" + std::string(type) + "'");
}

// ---------------------------------------------------------------------------
// Commands

std::string_view command_type(const command& c) noexcept { return type_of(c); }

std::expected<command, rejection> parse_command(std::string_view type, const json& data) {
  using wire::read_command;
  if (type == draft::type)
    return read_command<command>(data, [](fields& f) {
      draft x;
      x.document_id = f.id("document_id");
      x.kind = f.choice("kind", kinds);
      x.about = read_profile(f);
      x.text = f.text("text", wire::max_document);
      x.change_note = f.opt_text("change_note");
      return x;
    });
  if (type == revise::type)
    return read_command<command>(data, [](fields& f) {
      revise x;
      if (f.find("text", false)) x.text = f.text("text", wire::max_document);
      if (f.find("title", false)) x.title = f.text("title", wire::max_line);
      if (f.find("owner", false)) x.owner = f.id("owner");
      if (f.find("classification", false)) x.level = f.choice("classification", levels);
      if (f.find("review_interval_months", false))
        x.review_interval_months = static_cast<int>(f.integer("review_interval_months", 1, max_interval));
      x.change_note = f.text("change_note");
      return x;
    });
  if (type == request_approval::type)
    return read_command<command>(data, [](fields& f) {
      return request_approval{f.opt_text("summary", wire::max_line)};
    });
  if (type == approve::type || type == reject::type) {
    auto o = wire::outcome_in(data);
    if (!o) return std::unexpected(o.error());
    if (type == approve::type) return approve{std::move(*o)};
    return reject{std::move(*o)};
  }
  if (type == publish::type)
    return read_command<command>(data, [](fields& f) { return publish{f.sha256("content_sha256")}; });
  if (type == record_review::type)
    return read_command<command>(data, [](fields& f) {
      record_review x;
      x.outcome = f.choice("outcome", outcomes);
      x.notes = f.text("notes");
      return x;
    });
  if (type == retire::type)
    return read_command<command>(data, [](fields& f) { return retire{f.text("reason")}; });
  return std::unexpected(
      rejection{rejection_kind::invalid, "type", "unknown command type '" + std::string(type) + "'"});
}

// ---------------------------------------------------------------------------
// State

json approval_content(const state& s) {
  json j{{"document_id", s.document_id},
         {"kind", to_string(s.kind)},
         {"document_version", s.document_version},
         {"content_sha256", s.content_sha256}};
  put(j, s.about);
  return j;
}

std::optional<rejection> check_stream(std::string_view command_type, std::string_view stream,
                                      const json& data) {
  return wire::stream_names_id(command_type, draft::type, stream, "document", data, "document_id");
}

state initial_state() { return state{}; }

state evolve(state s, const event& e) {
  ++s.version;
  const bool concludes = std::holds_alternative<approved>(e) || std::holds_alternative<rejected>(e);
  if (!concludes) s.pending_approval_id.clear();  // any change voids a pending approval
  std::visit(overloaded{
                 [&](const drafted& x) {
                   s.exists = true;
                   s.document_id = x.document_id;
                   s.kind = x.kind;
                   s.about = x.about;
                   s.document_version = 1;
                   s.text = x.text;
                   s.content_sha256 = x.content_sha256;
                   s.working = stage::draft;
                 },
                 [&](const revised& x) {
                   s.about = x.about;
                   s.document_version = x.document_version;
                   s.text = x.text;
                   s.content_sha256 = x.content_sha256;
                   s.working = stage::draft;
                 },
                 [&](const approval_requested& x) {
                   s.working = stage::approval_requested;
                   s.pending_approval_id = x.approval.approval_id;
                 },
                 [&](const approved&) {
                   s.working = stage::approved;
                   s.pending_approval_id.clear();
                 },
                 [&](const rejected&) {
                   s.working = stage::draft;
                   s.pending_approval_id.clear();
                 },
                 [&](const published& x) {
                   s.working = stage::published;
                   s.in_force = version_in_force{x.document_version, s.text, x.content_sha256, x.published_on};
                 },
                 [&](const reviewed& x) {
                   s.last_reviewed_on = x.reviewed_on;
                   s.last_review_outcome = x.outcome;
                 },
                 [&](const retired&) { s.retired = true; },
             },
             e);
  // A draft that was put to approval and then changed is a draft again.
  if (!concludes && !std::holds_alternative<approval_requested>(e) &&
      s.working == stage::approval_requested)
    s.working = stage::draft;
  return s;
}

namespace {

std::optional<rejection> existence_refusal(const state& s) {
  if (!s.exists) return rejection{rejection_kind::not_found, "", "no such document; draft it first"};
  if (s.retired)
    return rejection{rejection_kind::rule, "", "document " + s.document_id + " is retired and takes no further changes"};
  return std::nullopt;
}

}  // namespace

std::optional<rejection> state_refusal(std::string_view type, const state& s) {
  if (type == draft::type) {
    if (s.exists) return wire::refusal("document " + s.document_id + " already exists; revise it instead");
    return std::nullopt;
  }
  if (auto r = existence_refusal(s)) return r;
  const std::string v = std::to_string(s.document_version);
  if (type == request_approval::type) {
    if (s.working == stage::approval_requested)
      return wire::refusal("version " + v + " already awaits approval (" + s.pending_approval_id + ")");
    if (s.working != stage::draft)
      return wire::refusal("version " + v + " is already approved; revise the document to start a new version");
  } else if (type == publish::type) {
    if (s.working == stage::published) return wire::refusal("version " + v + " is already published");
    if (s.working != stage::approved)
      return wire::refusal("only an approved version is published (5.2, 7.5.3); version " + v + " is " +
                    std::string(to_string(s.working)));
  } else if (type == record_review::type) {
    if (!s.in_force) return wire::refusal("nothing is published yet; a review applies to the version in force");
  }
  // revise, retire: any document that exists and is not retired.
  return std::nullopt;
}

std::vector<std::string> admitted_commands(const state& s) {
  std::vector<std::string> out;
  for (std::string_view type : {draft::type, revise::type, request_approval::type, publish::type,
                                record_review::type, retire::type})
    if (!state_refusal(type, s)) out.emplace_back(type);
  return out;
}

decision decide(const command& c, const state& s, const command_context& ctx) {
  using wire::one;
  using wire::refuse;
  using wire::rule;
  const date today = day_of(ctx.now);

  if (std::holds_alternative<draft>(c)) {
    const auto& x = std::get<draft>(c);
    if (auto r = state_refusal(draft::type, s)) return std::unexpected(*r);
    if (auto r = owner_rule(ctx, draft::type, x.about.owner)) return std::unexpected(*r);
    return one(encode(drafted{x.document_id, x.kind, x.about, x.text, sha256_hex(x.text), x.change_note}));
  }
  if (auto r = existence_refusal(s)) return std::unexpected(*r);

  return std::visit(
      overloaded{
          [&](const draft&) -> decision { return rule("unreachable"); },
          [&](const revise& x) -> decision {
            if (auto r = owner_rule(ctx, revise::type, s.about.owner)) return std::unexpected(*r);
            profile p = s.about;
            if (x.title) p.title = *x.title;
            if (x.owner) p.owner = *x.owner;
            if (x.level) p.level = *x.level;
            if (x.review_interval_months) p.review_interval_months = *x.review_interval_months;
            const std::string text = x.text ? *x.text : s.text;
            if (p == s.about && text == s.text)
              return rule("the revision changes neither the text nor the profile of version " +
                          std::to_string(s.document_version));
            // An approved or published version is never edited: its revision is the next version.
            const bool next = s.working == stage::approved || s.working == stage::published;
            const std::uint64_t v = next ? s.document_version + 1 : s.document_version;
            return one(encode(revised{v, p, text, sha256_hex(text), x.change_note}));
          },
          [&](const request_approval& x) -> decision {
            if (auto r = state_refusal(request_approval::type, s)) return std::unexpected(*r);
            const std::string hash = canonical_hash(approval_content(s));
            const std::string summary =
                x.summary.empty() ? "Approve " + std::string(to_string(s.kind)) + " " + s.document_id +
                                        " version " + std::to_string(s.document_version) + ": " + s.about.title
                                  : x.summary;
            auto req = wire::approval_for("document-" + s.document_id, s.version + 1, "document.approval",
                                          approver_role(s.kind), std::string(approve::type), std::string(reject::type),
                                          wire::clip(summary, wire::max_line), hash);
            return one(encode(approval_requested{s.document_version, s.content_sha256, std::move(req)}));
          },
          [&](const approve& x) -> decision {
            if (auto r = check_approval_outcome(ctx, x.outcome, s.pending_approval_id))
              return std::unexpected(*r);
            return one(encode(approved{x.outcome.approval_id, s.document_version, s.content_sha256,
                                       x.outcome.approvers, x.outcome.comment}));
          },
          [&](const reject& x) -> decision {
            if (auto r = check_approval_outcome(ctx, x.outcome, s.pending_approval_id))
              return std::unexpected(*r);
            return one(encode(rejected{x.outcome.approval_id, s.document_version, x.outcome.rejected_by,
                                       x.outcome.comment}));
          },
          [&](const publish& x) -> decision {
            if (auto r = state_refusal(publish::type, s)) return std::unexpected(*r);
            if (x.content_sha256 != s.content_sha256)
              return refuse(rejection_kind::rule, "data.content_sha256",
                            "the published text must be exactly the approved version " +
                                std::to_string(s.document_version) + ", byte for byte (SHA-256 " +
                                s.content_sha256 + ")");
            return one(encode(published{s.document_version, s.content_sha256, today}));
          },
          [&](const record_review& x) -> decision {
            if (auto r = owner_rule(ctx, record_review::type, s.about.owner)) return std::unexpected(*r);
            if (auto r = state_refusal(record_review::type, s)) return std::unexpected(*r);
            return one(encode(reviewed{s.in_force->document_version, x.outcome, x.notes, today, ctx.by.user_id}));
          },
          [&](const retire& x) -> decision { return one(encode(retired{x.reason, today})); },
      },
      c);
}

std::expected<state, rejection> fold(std::span<const recorded_event> history, state from) {
  return wire::fold(std::move(from), history, decode, evolve);
}

// ---------------------------------------------------------------------------
// Time rules

std::optional<date> review_due_on(const state& s) {
  if (!s.exists || s.retired || !s.in_force) return std::nullopt;
  date from = s.in_force->published_on;
  if (s.last_reviewed_on && *s.last_reviewed_on > from) from = *s.last_reviewed_on;
  return wire::add_months(from, s.about.review_interval_months);
}

bool review_due(const state& s, date today) {
  const auto due = review_due_on(s);
  return due && *due <= today;
}

}  // namespace isms::domain::document
