#include "isms/server/demo.hpp"

// The replayer of the demo story (format: docs/demo.md). It reads the whole
// story first and refuses it, naming the line, before anything is written;
// then it plays the steps in order through a ledger on the store, moving the
// server's clock to each step's moment after the reactions of the step
// before have settled.
//
// Days are counted from the last day of the story: 0 is today, -1 yesterday.
// A step planned later today than the real time runs at the real time, so
// nothing is recorded in the future and recorded_at never goes back.

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

#include "isms/domain/core.hpp"
#include "isms/domain/reactions.hpp"
#include "isms/domain/views/views.hpp"
#include "isms/server/json_input.hpp"
#include "isms/server/ledger.hpp"

namespace isms::server {

namespace {

using json = nlohmann::json;
namespace views = domain::views;

constexpr std::int64_t ms_per_minute = 60'000;
constexpr std::int64_t ms_per_day = 86'400'000;

// How far back a story may reach: ten years. A bound on input, not on the
// story, which spans about fourteen months.
constexpr int earliest_day = -3660;
// A reference to a date may point up to ten years ahead (a review planned,
// a due date).
constexpr int latest_referenced_day = 3660;
// Nesting of a line: a command's data is well under 16 levels.
constexpr std::size_t max_line_depth = 32;

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---------------------------------------------------------------------------
// The story as read

struct register_step {
  std::string id;
  std::string name;
  std::string job;
  std::vector<std::string> roles;
};

struct command_step {
  std::string by;
  std::string type;
  std::string stream;
  json data;
  std::string comment;
};

struct step {
  std::size_t line = 0;  // 1-based line of the story text
  int day = 0;           // from today
  int minute = 0;        // of the day, UTC
  std::variant<register_step, command_step> what;
};

// A "${name}" or "${name:argument}" value. Resolved when its step runs.
struct reference {
  enum class kind {
    day,          // ${day:N}         "YYYY-MM-DD" of N days from today
    approval,     // ${approval:S}    the stream of the open approval of subject stream S
    review_pack,  // ${review_pack:R} the inputs pack of management review R, as the step's user sees it now
    position,     // ${position}      the log position the views have reached now
  };
  kind what;
  std::string argument;
  int days = 0;  // for day
};

std::optional<int> parse_int(std::string_view s) {
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// nullopt: not a reference (a plain string). An error: it looks like one
// ("${" ... "}") but is not one the replayer knows.
std::expected<std::optional<reference>, std::string> parse_reference(std::string_view s) {
  if (!s.starts_with("${")) return std::nullopt;
  if (!s.ends_with("}") || s.size() < 3) return std::unexpected("unfinished reference \"" + std::string(s) + "\"");
  const std::string_view body = s.substr(2, s.size() - 3);
  const auto colon = body.find(':');
  const std::string_view name = body.substr(0, colon);
  const std::string_view arg = colon == std::string_view::npos ? std::string_view{} : body.substr(colon + 1);
  const auto bad = [&](std::string why) {
    return std::unexpected("reference \"" + std::string(s) + "\": " + std::move(why));
  };
  if (name == "position") {
    if (colon != std::string_view::npos) return bad("${position} takes no argument");
    return reference{reference::kind::position, {}, 0};
  }
  if (colon == std::string_view::npos || arg.empty()) return bad("needs an argument after ':'");
  if (name == "day") {
    const auto n = parse_int(arg);
    if (!n || *n < earliest_day || *n > latest_referenced_day)
      return bad("the day must be a whole number of days from today, " + std::to_string(earliest_day) + " to " +
                 std::to_string(latest_referenced_day));
    return reference{reference::kind::day, std::string(arg), *n};
  }
  if (name == "approval") return reference{reference::kind::approval, std::string(arg), 0};
  if (name == "review_pack") return reference{reference::kind::review_pack, std::string(arg), 0};
  return bad("unknown; known are ${day:N}, ${approval:STREAM}, ${review_pack:ID}, ${position}");
}

// Checks every reference inside `v` (path names the member for errors).
std::expected<void, std::string> check_references(const json& v, const std::string& path) {
  if (v.is_string()) {
    auto r = parse_reference(v.get_ref<const std::string&>());
    if (!r) return std::unexpected(path + ": " + r.error());
    return {};
  }
  if (v.is_object()) {
    for (const auto& [k, x] : v.items())
      if (auto r = check_references(x, path + "." + k); !r) return r;
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i)
      if (auto r = check_references(v[i], path + "[" + std::to_string(i) + "]"); !r) return r;
  }
  return {};
}

std::expected<std::string, std::string> string_member(const json& o, const char* name, bool required = true) {
  const auto it = o.find(name);
  if (it == o.end()) {
    if (required) return std::unexpected(std::string("\"") + name + "\" is missing");
    return std::string{};
  }
  if (!it->is_string()) return std::unexpected(std::string("\"") + name + "\" must be a string");
  if (required && it->get_ref<const std::string&>().empty())
    return std::unexpected(std::string("\"") + name + "\" must not be empty");
  return it->get<std::string>();
}

// "hh:mm" → minutes of the day.
std::optional<int> parse_time(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  const auto h = parse_int(s.substr(0, 2));
  const auto m = parse_int(s.substr(3, 2));
  if (!h || !m || *h < 0 || *h > 23 || *m < 0 || *m > 59) return std::nullopt;
  return *h * 60 + *m;
}

std::expected<register_step, std::string> read_register(const json& r) {
  if (!r.is_object()) return std::unexpected("\"register_user\" must be an object");
  for (const auto& [k, v] : r.items())
    if (k != "id" && k != "name" && k != "job" && k != "roles")
      return std::unexpected("\"register_user\" has an unknown member \"" + k + "\"");
  register_step u;
  for (auto [field, name] : {std::pair{&u.id, "id"}, std::pair{&u.name, "name"}, std::pair{&u.job, "job"}}) {
    auto s = string_member(r, name);
    if (!s) return std::unexpected("register_user: " + s.error());
    *field = std::move(*s);
  }
  const auto roles = r.find("roles");
  if (roles == r.end() || !roles->is_array() || roles->empty())
    return std::unexpected("register_user: \"roles\" must be a list of at least one role");
  for (const auto& role : *roles) {
    if (!role.is_string() || !domain::role_from_string(role.get_ref<const std::string&>()))
      return std::unexpected("register_user: \"" + (role.is_string() ? role.get<std::string>() : role.dump()) +
                             "\" is not a role");
    u.roles.push_back(role.get<std::string>());
  }
  return u;
}

std::expected<command_step, std::string> read_command(const json& o) {
  command_step c;
  for (auto [field, name, required] :
       {std::tuple{&c.by, "by", true}, std::tuple{&c.type, "command", true}, std::tuple{&c.stream, "stream", true},
        std::tuple{&c.comment, "comment", false}}) {
    auto s = string_member(o, name, required);
    if (!s) return std::unexpected(s.error());
    *field = std::move(*s);
  }
  const auto data = o.find("data");
  if (data == o.end() || !data->is_object()) return std::unexpected("\"data\" must be an object");
  c.data = *data;
  auto stream_ref = parse_reference(c.stream);
  if (!stream_ref) return std::unexpected("stream: " + stream_ref.error());
  if (*stream_ref && (*stream_ref)->what != reference::kind::approval)
    return std::unexpected("stream: only ${approval:STREAM} may stand for a stream");
  if (auto r = check_references(c.data, "data"); !r) return std::unexpected(r.error());
  return c;
}

// One line → one step; the line's own rules only (order and users are
// checked over the whole story).
std::expected<step, std::string> read_step(std::string_view text) {
  auto parsed = read_json(text, max_line_depth);
  if (!parsed)
    return std::unexpected(parsed.error().what == json_input_error::kind::too_deep
                               ? "nested deeper than " + std::to_string(max_line_depth) + " levels"
                               : "not JSON: " + parsed.error().message);
  const json& o = *parsed;
  if (!o.is_object()) return std::unexpected("a step must be a JSON object");
  const bool registers = o.contains("register_user");
  for (const auto& [k, v] : o.items()) {
    const bool known = k == "day" || k == "time" ||
                       (registers ? k == "register_user"
                                  : (k == "by" || k == "command" || k == "stream" || k == "data" || k == "comment"));
    if (!known)
      return std::unexpected("unknown member \"" + k + "\"" +
                             (registers ? " (a register_user step has only day, time and register_user)" : ""));
  }
  step s;
  const auto day = o.find("day");
  if (day == o.end() || !day->is_number_integer() || day->get<std::int64_t>() < earliest_day ||
      day->get<std::int64_t>() > 0)
    return std::unexpected("\"day\" must be a whole number of days from today, " + std::to_string(earliest_day) +
                           " to 0 (nothing is recorded in the future)");
  s.day = day->get<int>();
  const auto time = o.find("time");
  const auto minute = time != o.end() && time->is_string() ? parse_time(time->get_ref<const std::string&>())
                                                           : std::nullopt;
  if (!minute) return std::unexpected("\"time\" must be \"hh:mm\" (UTC, 00:00 to 23:59)");
  s.minute = *minute;
  if (registers) {
    auto u = read_register(o.at("register_user"));
    if (!u) return std::unexpected(u.error());
    s.what = std::move(*u);
  } else {
    auto c = read_command(o);
    if (!c) return std::unexpected(c.error());
    s.what = std::move(*c);
  }
  return s;
}

demo_error invalid(std::size_t line, const std::string& why) {
  return demo_error{demo_errc::story_invalid, "story line " + std::to_string(line) + ": " + why};
}

// The whole story, checked: every line a step, in order of time, the first
// registering the administrator, each user registered once and before acting.
std::expected<std::vector<step>, demo_error> read_story(std::string_view text) {
  std::vector<step> steps;
  std::set<std::string> users;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.ends_with('\r')) line.remove_suffix(1);
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    auto s = read_step(line);
    if (!s) return std::unexpected(invalid(line_no, s.error()));
    s->line = line_no;
    if (!steps.empty() && std::pair{s->day, s->minute} < std::pair{steps.back().day, steps.back().minute})
      return std::unexpected(invalid(line_no, "earlier than the line before: steps are in order of time"));
    if (const auto* r = std::get_if<register_step>(&s->what)) {
      if (steps.empty() != (r->id == "admin"))
        return std::unexpected(invalid(
            line_no, steps.empty() ? "the first step registers the administrator, \"admin\""
                                   : "\"admin\" is registered by the first step only"));
      if (!users.insert(r->id).second)
        return std::unexpected(invalid(line_no, "user \"" + r->id + "\" is registered twice"));
    } else {
      const auto& c = std::get<command_step>(s->what);
      if (steps.empty()) return std::unexpected(invalid(line_no, "the first step registers the administrator, \"admin\""));
      if (!users.contains(c.by))
        return std::unexpected(invalid(line_no, "\"by\": \"" + c.by + "\" is not registered by an earlier step"));
    }
    steps.push_back(std::move(*s));
  }
  if (steps.empty()) return std::unexpected(invalid(line_no, "the story has no step"));
  return steps;
}

// ---------------------------------------------------------------------------
// Playing it

// Plays a checked story on one ledger, from the calling thread only.
class player {
 public:
  player(ledger& app, std::atomic<std::int64_t>& clock, std::int64_t end_ms, std::vector<demo_user>& users)
      : app_(app), clock_(clock), end_ms_(end_ms), today_ms_(end_ms - end_ms % ms_per_day), users_(users) {}

  [[nodiscard]] std::string day(int offset) const {
    return domain::format_date(domain::date{std::chrono::days{today_ms_ / ms_per_day + offset}});
  }

  // Plays every step in order. Before each, lets the reactions of the
  // previous one finish at the previous moment, then moves the clock.
  std::expected<void, demo_error> play(const std::vector<step>& steps) {
    for (const auto& s : steps) {
      app_.settle();
      const std::int64_t at = today_ms_ + std::int64_t{s.day} * ms_per_day + std::int64_t{s.minute} * ms_per_minute;
      const std::int64_t t = std::min(at, end_ms_);
      if (t > clock_.load()) clock_.store(t);
      auto r = std::visit([&](const auto& what) { return run(s.line, what); }, s.what);
      if (!r) return r;
    }
    app_.settle();
    clock_.store(std::max(clock_.load(), end_ms_));
    return {};
  }

  [[nodiscard]] std::uint64_t steps_played() const { return played_; }

 private:
  std::expected<void, demo_error> run(std::size_t line, const register_step& r) {
    const auto it = std::find_if(users_.begin(), users_.end(), [&](const demo_user& u) { return u.id == r.id; });
    const std::string& password = it->password;
    ++played_;
    if (r.id == "admin") {
      auto b = app_.bootstrap_admin(password);
      if (!b) return std::unexpected(at_line(line, demo_errc::internal, "cannot register the first administrator: " + b.error()));
      if (!b->has_value()) return std::unexpected(at_line(line, demo_errc::internal, "the store already had users"));
      return {};
    }
    auto o = app_.register_user("admin", r.id, r.name, r.roles, password);
    if (!o.ok)
      return std::unexpected(at_line(line, demo_errc::command_failed,
                                     "user.register on user-" + r.id + " by admin was refused: " + o.error_code + ": " +
                                         o.error_message));
    return {};
  }

  std::expected<void, demo_error> run(std::size_t line, const command_step& c) {
    command_request req;
    req.type = c.type;
    req.command_id = "demo:" + std::to_string(++played_);
    req.comment = c.comment;
    auto target = resolve(json(c.stream), c.by);  // a string: only ${approval:…} may stand for a stream
    if (!target) return std::unexpected(at_line(line, demo_errc::internal, target.error()));
    auto data = resolve(c.data, c.by);
    if (!data) return std::unexpected(at_line(line, demo_errc::internal, data.error()));
    req.stream = target->get<std::string>();
    req.data = std::move(*data);
    // A file the story attaches: its text is stored as the upload would
    // store it, and the command records what was stored (held until then,
    // kept once recorded: evidence_files.hpp).
    std::optional<stored_file> file;
    if (req.type == "evidence.attach" && req.data.is_object() && req.data.contains("file_text")) {
      if (!req.data["file_text"].is_string())
        return std::unexpected(at_line(line, demo_errc::story_invalid, "data.file_text must be a string"));
      auto stored = store_file(req.data["file_text"].get<std::string>());
      if (!stored) return std::unexpected(at_line(line, demo_errc::internal, stored.error()));
      req.data.erase("file_text");
      req.data["digest"] = stored->digest;
      req.data["size"] = stored->size;
      file = std::move(*stored);
    }
    const std::string stream = req.stream == c.stream ? c.stream : req.stream + " (" + c.stream + ")";
    auto o = app_.pipeline().run(c.by, std::move(req));
    if (file && o.ok) keep_attached(*file);
    if (!o.ok)
      return std::unexpected(at_line(line, demo_errc::command_failed,
                                     c.type + " on " + stream + " by " + c.by + " was refused: " + o.error_code +
                                         (o.error_field.empty() ? "" : " (" + o.error_field + ")") + ": " +
                                         o.error_message));
    return {};
  }

  static demo_error at_line(std::size_t line, demo_errc code, const std::string& message) {
    return demo_error{code, "story line " + std::to_string(line) + ": " + message};
  }

  // `v` with every reference replaced by its value now. Error: what the
  // server could not answer (no open approval, a view refused).
  std::expected<json, std::string> resolve(const json& v, const std::string& by) const {
    if (v.is_string()) {
      const auto r = parse_reference(v.get_ref<const std::string&>());  // checked when read
      if (!r || !*r) return v;
      switch ((*r)->what) {
        case reference::kind::day: return json(day((*r)->days));
        case reference::kind::approval: {
          auto id = open_approval_of((*r)->argument);
          if (!id) return std::unexpected(id.error());
          return json(domain::approval_stream_for(*id));
        }
        case reference::kind::review_pack: {
          auto view = query("review_pack", {{"id", (*r)->argument}}, by);
          if (!view) return std::unexpected(view.error());
          const auto pack = view->find("pack");
          if (pack == view->end()) return std::unexpected("the review_pack view of " + (*r)->argument + " has no pack");
          return *pack;
        }
        case reference::kind::position: return json(app_.views().position());
      }
      return v;
    }
    json out = v;
    if (v.is_object() || v.is_array())
      for (auto& x : out) {
        auto resolved = resolve(x, by);
        if (!resolved) return resolved;
        x = std::move(*resolved);
      }
    return out;
  }

  std::expected<stored_file, std::string> store_file(const std::string& bytes) {
    if (app_.evidence_store() == nullptr) return std::unexpected("the story attaches files, but no evidence folder is set");
    auto upload = app_.evidence_store()->begin();
    if (!upload) return std::unexpected(upload.error());
    if (!(*upload)->write(bytes)) return std::unexpected((*upload)->error());
    return (*upload)->finish();
  }

  // The open approval of a subject, as the approvals view lists it (the
  // reaction to the request opened it); the latest when there are several.
  std::expected<std::string, std::string> open_approval_of(const std::string& subject_stream) const {
    std::string id;
    std::uint64_t latest = 0;
    app_.views().read_current([&](const views::all_views& v) {
      for (const auto& [approval_id, a] : v.approvals.approvals)
        if (a.subject_stream == subject_stream && a.state == "open" && a.changed.position >= latest) {
          id = approval_id;
          latest = a.changed.position;
        }
    });
    if (id.empty()) return std::unexpected("no open approval for " + subject_stream);
    return id;
  }

  // A view as `user` (with the roles the story gave them) sees it now, on
  // the story's today.
  std::expected<json, std::string> query(const std::string& view, const json& params, const std::string& user) const {
    domain::actor viewer{user, {}};
    for (const auto& u : users_)
      if (u.id == user)
        for (const auto& r : u.roles)
          if (auto role = domain::role_from_string(r)) viewer.roles.push_back(*role);
    const domain::date today{std::chrono::days{clock_.load() / ms_per_day}};
    std::optional<json> out;
    std::string problem;
    app_.views().read_current([&](const views::all_views& v) {
      auto r = views::query(v, view, params, viewer, today);
      if (r)
        out = std::move(*r);
      else
        problem = r.error().message;
    });
    if (!out) return std::unexpected("query " + view + ": " + problem);
    return std::move(*out);
  }

  ledger& app_;
  std::atomic<std::int64_t>& clock_;
  std::int64_t end_ms_;
  std::int64_t today_ms_;  // 00:00 UTC of the last day
  std::vector<demo_user>& users_;
  std::uint64_t played_ = 0;
};

}  // namespace

std::expected<demo_summary, demo_error> load_demo(eventstore::store& store, const demo_options& options) {
  const auto head = store.current_head().position;
  if (head != 0)
    return std::unexpected(demo_error{demo_errc::store_not_empty,
                                      "the store already holds " + std::to_string(head) +
                                          (head == 1 ? " event" : " events") +
                                          "; the demo loads only into an empty store"});

  auto steps = read_story(options.story.empty() ? demo_story() : std::string_view(options.story));
  if (!steps) return std::unexpected(steps.error());

  const std::int64_t end_ms = options.now ? options.now() : system_now_ms();
  const std::int64_t today_ms = end_ms - end_ms % ms_per_day;

  demo_summary summary;
  // The clock starts on the first day of the story; the story moves it.
  std::atomic<std::int64_t> clock{today_ms + std::int64_t{steps->front().day} * ms_per_day};
  ledger_options lo;
  lo.clock = [&clock] { return clock.load(); };
  lo.auth = options.auth;
  lo.workers = options.workers;
  lo.evidence_dir = options.evidence_dir;
  // The time rules run when the story says so, not on the loader's wall clock.
  lo.scheduler_interval = std::chrono::hours(24 * 365);

  try {
    ledger app(lo, store);  // initialises libsodium, which the random passwords need
    for (const auto& s : *steps)
      if (const auto* r = std::get_if<register_step>(&s.what))
        summary.users.push_back(demo_user{r->id, r->name, r->job, r->roles,
                                          options.password_prefix.empty() ? auth_service::random_password()
                                                                          : options.password_prefix + r->id});
    player p(app, clock, end_ms, summary.users);
    if (auto played = p.play(*steps); !played) return std::unexpected(played.error());
    summary.commands = p.steps_played();
    summary.head_position = store.current_head().position;
    summary.story_from = p.day(steps->front().day);
    summary.story_to = p.day(0);
  } catch (const std::exception& e) {
    return std::unexpected(demo_error{demo_errc::internal, e.what()});
  }
  return summary;
}

std::string demo_users_table(const demo_summary& summary) {
  std::size_t w_id = 4, w_name = 4, w_job = 3, w_roles = 5;
  const auto roles_of = [](const demo_user& u) {
    std::string out;
    for (const auto& r : u.roles) out += (out.empty() ? "" : ",") + r;
    return out;
  };
  for (const auto& u : summary.users) {
    w_id = std::max(w_id, u.id.size());
    w_name = std::max(w_name, u.name.size());
    w_job = std::max(w_job, u.job.size());
    w_roles = std::max(w_roles, roles_of(u).size());
  }
  const auto pad = [](std::string s, std::size_t w) {
    s.resize(std::max(s.size(), w), ' ');
    return s;
  };
  std::string out = pad("user", w_id) + "  " + pad("name", w_name) + "  " + pad("job", w_job) + "  " +
                    pad("roles", w_roles) + "  password\n";
  for (const auto& u : summary.users)
    out += pad(u.id, w_id) + "  " + pad(u.name, w_name) + "  " + pad(u.job, w_job) + "  " +
           pad(roles_of(u), w_roles) + "  " + u.password + "\n";
  return out;
}

}  // namespace isms::server
