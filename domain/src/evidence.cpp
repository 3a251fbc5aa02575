#include "isms/domain/evidence.hpp"

#include "isms/domain/annex_a.hpp"
#include "isms/domain/asset.hpp"
#include "isms/domain/authorization.hpp"
#include "isms/domain/document.hpp"
#include "isms/domain/internal_audit.hpp"
#include "isms/domain/management_review.hpp"
#include "isms/domain/nonconformity.hpp"
#include "isms/domain/objective.hpp"
#include "isms/domain/risk.hpp"
#include "wire_fields.hpp"

namespace isms::domain::evidence {

namespace {

using wire::fields;
using wire::overloaded;

constexpr wire::names<subject_kind, 10> kinds{{
    {subject_kind::risk, "risk"},
    {subject_kind::control, "control"},
    {subject_kind::nonconformity, "nonconformity"},
    {subject_kind::audit, "audit"},
    {subject_kind::objective, "objective"},
    {subject_kind::review, "review"},
    {subject_kind::document, "document"},
    {subject_kind::incident, "incident"},
    {subject_kind::supplier, "supplier"},
    {subject_kind::asset, "asset"},
}};

// The largest file size the event admits (1 TiB); the server's own limit is
// far lower and a setting.
constexpr std::int64_t max_size = std::int64_t{1} << 40;

// A file name as recorded: no folders, no control characters.
void check_name(fields& f, const std::string& name) {
  if (name.find_first_of("/\\") != std::string::npos) f.fail("name", "must be a file name, without folders");
  for (const unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return f.fail("name", "must not hold control characters");
}

// A media type as "type/subtype", in the characters RFC 6838 allows.
void check_media_type(fields& f, const std::string& t) {
  const auto slash = t.find('/');
  bool ok = slash != std::string::npos && slash > 0 && slash + 1 < t.size() && t.find('/', slash + 1) == std::string::npos;
  for (const char c : t)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                std::string_view("/!#$&-^_.+").find(c) != std::string_view::npos);
  if (!ok) f.fail("media_type", "must be a media type such as application/pdf");
}

file read_file(fields& f) {
  file x;
  x.digest = f.sha256("digest");
  x.name = f.text("name", wire::max_line);
  check_name(f, x.name);
  x.media_type = f.text("media_type", 127);
  check_media_type(f, x.media_type);
  x.size = static_cast<std::uint64_t>(f.integer("size", 0, max_size));
  return x;
}

json file_json(const file& x) {
  return {{"digest", x.digest}, {"name", x.name}, {"media_type", x.media_type}, {"size", x.size}};
}

json opt_day(const std::optional<date>& d) { return d ? json(format_date(*d)) : json(nullptr); }

}  // namespace

std::string_view to_string(subject_kind k) noexcept { return wire::name_of(kinds, k); }
std::optional<subject_kind> subject_kind_named(std::string_view name) noexcept { return wire::value_of(kinds, name); }

std::string subject_stream(subject_kind k, std::string_view subject_id) {
  switch (k) {
    case subject_kind::control: return {};
    case subject_kind::nonconformity: return "nc-" + std::string(subject_id);
    default: return std::string(to_string(k)) + "-" + std::string(subject_id);
  }
}

// ---------------------------------------------------------------------------
// Events

new_event encode(const event& e) {
  return std::visit(overloaded{
                        [](const attached& x) {
                          json d = file_json(x.content);
                          d["evidence_id"] = x.evidence_id;
                          d["subject_kind"] = to_string(x.kind);
                          d["subject_id"] = x.subject_id;
                          d["purpose"] = x.purpose;
                          d["owner"] = x.owner;
                          d["review_by"] = opt_day(x.review_by);
                          d["attached_on"] = format_date(x.attached_on);
                          d["attached_by"] = x.attached_by;
                          if (!x.part.empty()) d["part"] = x.part;
                          return new_event{std::string(attached::type), d};
                        },
                        [](const reviewed& x) {
                          return new_event{std::string(reviewed::type),
                                           {{"review_by", opt_day(x.review_by)},
                                            {"owner", x.owner},
                                            {"note", x.note},
                                            {"reviewed_on", format_date(x.reviewed_on)},
                                            {"reviewed_by", x.reviewed_by}}};
                        },
                        [](const withdrawn& x) {
                          return new_event{std::string(withdrawn::type),
                                           {{"reason", x.reason},
                                            {"withdrawn_on", format_date(x.withdrawn_on)},
                                            {"withdrawn_by", x.withdrawn_by}}};
                        },
                    },
                    e);
}

namespace {

using wire::as;

attached read(fields& f, as<attached>) {
  attached x;
  x.evidence_id = f.id("evidence_id");
  x.kind = f.choice("subject_kind", kinds);
  x.subject_id = f.text("subject_id", 64);
  x.purpose = f.text("purpose");
  x.content = read_file(f);
  x.owner = f.opt_id("owner");
  x.review_by = f.opt_day("review_by");
  x.attached_on = f.day("attached_on");
  x.attached_by = f.opt_text("attached_by");
  x.part = f.opt_text("part", 64);
  return x;
}
attach read(fields& f, as<attach>) {
  attach x;
  x.evidence_id = f.id("evidence_id");
  x.kind = f.choice("subject_kind", kinds);
  // A control is named by its Annex A id ("5.15"), every other subject by
  // its stream id.
  if (x.kind == subject_kind::control) {
    x.subject_id = f.text("subject_id", 16);
    if (f.ok() && !annex_a::find(x.subject_id)) f.fail("subject_id", "must name an Annex A control such as 5.15");
  } else {
    x.subject_id = f.id("subject_id");
  }
  x.purpose = f.text("purpose");
  x.content = read_file(f);
  x.owner = f.opt_id("owner");
  x.review_by = f.opt_day("review_by");
  x.part = f.opt_text("part", 64);
  if (f.ok() && !x.part.empty() && part_name(x.kind).empty())
    f.fail("part", "a " + std::string(to_string(x.kind)) + " has no parts; attach to the whole");
  return x;
}
reviewed read(fields& f, as<reviewed>) {
  return {f.opt_day("review_by"), f.opt_text("owner"), f.opt_text("note"), f.day("reviewed_on"),
          f.opt_text("reviewed_by")};
}
review read(fields& f, as<review>) { return {f.opt_day("review_by"), f.opt_id("owner"), f.opt_text("note")}; }
withdrawn read(fields& f, as<withdrawn>) { return {f.text("reason"), f.day("withdrawn_on"), f.opt_text("withdrawn_by")}; }
withdraw read(fields& f, as<withdraw>) { return {f.text("reason")}; }

}  // namespace

std::expected<event, std::string> decode(std::string_view type, const json& data) {
  return wire::decode_event<event>(type, data, [](fields& f, auto t) { return read(f, t); });
}

// ---------------------------------------------------------------------------
// Commands

std::string_view command_type(const command& c) noexcept { return type_of(c); }

std::expected<command, rejection> parse_command(std::string_view type, const json& data) {
  return wire::parse_command<command>(type, data, [](fields& f, auto t) { return read(f, t); });
}

// ---------------------------------------------------------------------------
// State

std::optional<rejection> check_stream(std::string_view command_type, std::string_view stream, const json& data) {
  return wire::stream_names_id(command_type, attach::type, stream, "evidence", data, "evidence_id");
}

state initial_state() { return state{}; }

state evolve(state s, const event& e) {
  ++s.version;
  std::visit(overloaded{
                 [&](const attached& x) {
                   s.exists = true;
                   s.evidence_id = x.evidence_id;
                   s.kind = x.kind;
                   s.subject_id = x.subject_id;
                   s.part = x.part;
                   s.purpose = x.purpose;
                   s.content = x.content;
                   s.owner = x.owner;
                   s.attached_by = x.attached_by;
                   s.review_by = x.review_by;
                 },
                 [&](const reviewed& x) {
                   s.review_by = x.review_by;
                   if (!x.owner.empty()) s.owner = x.owner;
                 },
                 [&](const withdrawn&) { s.withdrawn = true; },
             },
             e);
  return s;
}

std::expected<state, rejection> fold(std::span<const recorded_event> history, state from) {
  return wire::fold(std::move(from), history, decode, evolve);
}

std::optional<rejection> state_refusal(std::string_view type, const state& s) {
  if (type == attach::type) {
    if (s.exists) return wire::refusal("evidence " + s.evidence_id + " is already attached");
    return std::nullopt;
  }
  if (!s.exists) return rejection{rejection_kind::not_found, "", "no such evidence"};
  if (s.withdrawn) return wire::refusal("evidence " + s.evidence_id + " is withdrawn");
  return std::nullopt;
}

std::vector<std::string> admitted_commands(const state& s) {
  std::vector<std::string> out;
  for (std::string_view type : {review::type, withdraw::type})
    if (!state_refusal(type, s)) out.emplace_back(type);
  return out;
}

bool review_due(const state& s, date today) {
  return s.exists && !s.withdrawn && s.review_by && today + std::chrono::days{review_notice_days} >= *s.review_by;
}

bool stale(const state& s, date today) { return s.exists && !s.withdrawn && s.review_by && today > *s.review_by; }

std::string_view part_name(subject_kind k) noexcept {
  switch (k) {
    case subject_kind::nonconformity: return "action";
    case subject_kind::audit: return "finding";
    case subject_kind::document: return "version";
    case subject_kind::objective: return "measurement";
    case subject_kind::review: return "action";
    default: return {};
  }
}

namespace {

// The parts a subject has on record, from its stream's history.
std::expected<std::vector<std::string>, rejection> parts_of(subject_kind k,
                                                           std::span<const recorded_event> history) {
  std::vector<std::string> out;
  switch (k) {
    case subject_kind::nonconformity: {
      auto s = nonconformity::fold(history);
      if (!s) return std::unexpected(s.error());
      for (const auto& a : s->actions) out.push_back(a.action_id);
      break;
    }
    case subject_kind::audit: {
      auto s = internal_audit::fold(history);
      if (!s) return std::unexpected(s.error());
      for (const auto& x : s->findings) out.push_back(x.finding_id);
      break;
    }
    case subject_kind::document: {
      auto s = document::fold(history);
      if (!s) return std::unexpected(s.error());
      for (std::uint64_t v = 1; v <= s->document_version; ++v) out.push_back(std::to_string(v));
      break;
    }
    case subject_kind::objective: {
      auto s = objective::fold(history);
      if (!s) return std::unexpected(s.error());
      for (const auto& m : s->progress) out.push_back(format_date(m.on));
      break;
    }
    case subject_kind::review: {
      auto s = management_review::fold(history);
      if (!s) return std::unexpected(s.error());
      for (const auto& a : s->actions) out.push_back(a.action_id);
      break;
    }
    default: break;
  }
  return out;
}

}  // namespace

std::vector<std::string> reads(const command& c, const state&) {
  if (const auto* x = std::get_if<attach>(&c)) {
    auto stream = subject_stream(x->kind, x->subject_id);
    if (!stream.empty()) return {std::move(stream)};
  }
  return {};
}

std::expected<facts, rejection> facts_from(const command& c, const state&, const stream_reads& read) {
  facts f;
  if (const auto* x = std::get_if<attach>(&c)) {
    const auto stream = subject_stream(x->kind, x->subject_id);
    if (stream.empty()) {
      f.subject_exists = annex_a::find(x->subject_id).has_value();
      return f;
    }
    const auto history = read.history(stream);
    f.subject_exists = !history.empty();
    if (x->kind == subject_kind::risk) {
      auto r = risk::fold(history);
      if (!r) return std::unexpected(r.error());
      f.subject_owner = r->details.owner;
    } else if (x->kind == subject_kind::asset) {
      auto a = asset::fold(history);
      if (!a) return std::unexpected(a.error());
      f.subject_owner = a->recorded.owner;
    } else if (!x->part.empty()) {
      auto parts = parts_of(x->kind, history);
      if (!parts) return std::unexpected(parts.error());
      f.parts = std::move(*parts);
    }
  }
  return f;
}

decision decide(const command& c, const state& s, const facts& f, const command_context& ctx) {
  using wire::one;
  using wire::refuse;
  const date today = day_of(ctx.now);
  const std::string& who = ctx.by.user_id;
  const std::string_view type = command_type(c);
  if (auto r = state_refusal(type, s)) return std::unexpected(*r);
  if (type != attach::type && acts_only_on_own(ctx.by, type) && who != s.owner && who != s.attached_by)
    return refuse(rejection_kind::forbidden, "",
                  "only its owner (" + s.owner + "), who attached it or an ISMS manager acts on evidence " +
                      s.evidence_id);
  return std::visit(
      overloaded{
          [&](const attach& x) -> decision {
            if (!f.subject_exists)
              return refuse(rejection_kind::not_found, "data.subject_id",
                            "no " + std::string(to_string(x.kind)) + " " + x.subject_id + " on record");
            if (acts_only_on_own(ctx.by, attach::type) && f.subject_owner != who)
              return refuse(rejection_kind::forbidden, "",
                            "a risk owner attaches evidence only to the risks and assets they own");
            if (!x.part.empty() && std::ranges::find(f.parts, x.part) == f.parts.end())
              return refuse(rejection_kind::not_found, "data.part",
                            "no " + std::string(part_name(x.kind)) + " " + x.part + " of " +
                                std::string(to_string(x.kind)) + " " + x.subject_id + " on record");
            if (x.review_by && *x.review_by <= today)
              return refuse(rejection_kind::rule, "data.review_by", "the review day must lie in the future");
            return one(encode(attached{x.evidence_id, x.kind, x.subject_id, x.purpose, x.content,
                                       x.owner.empty() ? who : x.owner, x.review_by, today, who, x.part}));
          },
          [&](const review& x) -> decision {
            if (x.review_by && *x.review_by <= today)
              return refuse(rejection_kind::rule, "data.review_by", "the review day must lie in the future");
            return one(encode(reviewed{x.review_by, x.owner, x.note, today, who}));
          },
          [&](const withdraw& x) -> decision { return one(encode(withdrawn{x.reason, today, who})); },
      },
      c);
}

}  // namespace isms::domain::evidence
