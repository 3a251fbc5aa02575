// Each room of the HTTP API alone, with the narrow parts it is given: a real
// store in a temporary directory where the room needs one, a stand-in for
// "who sent this request" elsewhere, and no ledger, no transport.

#include <fstream>
#include <map>
#include <future>

#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include "isms/server/audit_room.hpp"
#include "isms/server/backup_room.hpp"
#include "isms/server/health_room.hpp"
#include "isms/server/session_room.hpp"
#include "isms/server/static_site.hpp"
#include "isms/server/time_rules.hpp"
#include "isms/server/view_access.hpp"

namespace isms::testing::rooms_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using server::caller;
using server::http_request;
using server::http_response;

constexpr std::int64_t t0 = 1772442000000;  // 2026-03-02T09:00:00Z

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "isms-rooms-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct store_fixture {
  temp_dir dir;
  std::unique_ptr<eventstore::store> store;
  store_fixture() {
    auto s = eventstore::store::open(eventstore::options{}, dir.path / "store");
    if (!s) throw std::runtime_error(s.error().message);
    store = std::move(*s);
  }
  void append_one(const std::string& stream) {
    eventstore::event_data e;
    e.type = "thing.recorded.v1";
    e.data = json{{"email", "someone@example.org"}};
    e.metadata.actor = "tester";
    e.metadata.recorded_at_ms = t0;
    auto r = store->append(stream, eventstore::expected_version::any(), {e}, "cmd-" + stream);
    if (!r) throw std::runtime_error(r.error().message);
  }
};

// Who sent a request: the user named in the "x-as" header, with the roles
// this map gives them; nobody without the header.
server::identify_fn as_header(std::map<std::string, std::vector<domain::role>> roles) {
  return [roles = std::move(roles)](const http_request& r) -> std::optional<caller> {
    const std::string who(r.header("x-as"));
    if (who.empty()) return std::nullopt;
    return caller{who, "token-" + who, domain::actor{who, roles.contains(who) ? roles.at(who) : std::vector<domain::role>{}}};
  };
}

http_request request_as(const std::string& who, std::string method = "GET", std::string body = {}) {
  http_request r;
  r.method = std::move(method);
  r.body = std::move(body);
  if (!who.empty()) r.headers.emplace_back("x-as", who);
  return r;
}

// -------------------------------------------------------------- health room

TEST(health_room, metrics_and_healthz_tell_a_read_only_store) {
  server::server_figures f;
  f.head.position = 42;
  f.views.position = 41;
  f.http_requests = 7;
  f.store.writable = false;
  f.store.reason = eventstore::errc::io;
  f.store.message = "no space left on device";
  f.verification.current = server::chain_verifier::state::verified;
  const auto metrics = server::metrics_answer(f);
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
  for (const char* line : {"\nismsd_log_head_position 42\n", "\nismsd_views_position 41\n",
                           "\nismsd_http_requests_total 7\n", "\nismsd_store_writable 0\n",
                           "\nismsd_store_read_only_io 1\n", "\nismsd_store_read_only_corrupted 0\n",
                           "\nismsd_chain_verification_failed 0\n", "\nismsd_views_lag_events 1\n",
                           "\nismsd_reactions_lag_events 42\n", "\nismsd_chain_verification_progress_ratio 1\n",
                           "\n# TYPE ismsd_store_append_seconds histogram\n",
                           "\nismsd_store_append_seconds_bucket{le=\"+Inf\"} 0\n"})
    EXPECT_NE(metrics.body.find(line), std::string::npos) << line << metrics.body;
  const auto health = server::healthz_answer(f);
  EXPECT_EQ(health.status, 503u);
  const json body = json::parse(health.body);
  EXPECT_EQ(body["status"], "read_only");
  EXPECT_EQ(body["store"]["reason"], "io");
  EXPECT_EQ(body["head"]["position"], 42);

  f.store = {};
  EXPECT_EQ(server::healthz_answer(f).status, 200u);
  f.verification.current = server::chain_verifier::state::failed;
  EXPECT_EQ(server::healthz_answer(f).status, 503u);
  EXPECT_NE(server::metrics_answer(f).body.find("\nismsd_chain_verification_failed 1\n"), std::string::npos);
}

// -------------------------------------------------------------- backup room

TEST(backup_room, only_a_signed_in_administrator_takes_a_backup_into_a_new_folder) {
  store_fixture s;
  s.append_one("thing-1");
  server::worker_pool pool(1);
  const auto identify = as_header({{"root", {domain::role::admin}}, {"ann", {domain::role::isms_manager}}});
  server::backup_room room(s.dir.path / "backups", *s.store, pool, identify, [] { return t0; });
  EXPECT_EQ(room.backup(request_as("", "POST")).status, 401u);
  EXPECT_EQ(room.backup(request_as("ann", "POST")).status, 403u);
  EXPECT_FALSE(fs::exists(s.dir.path / "backups"));
  const auto r = room.backup(request_as("root", "POST"));
  ASSERT_EQ(r.status, 200u) << r.body;
  const json answer = json::parse(r.body);
  EXPECT_EQ(answer["position"], 1);
  EXPECT_EQ(fs::path(answer["path"].get<std::string>()).filename(), "isms-20260302T090000Z-p1");
  EXPECT_TRUE(fs::is_directory(answer["path"].get<std::string>()));
  // The same second and position again: a folder of its own.
  const auto again = json::parse(room.backup(request_as("root", "POST")).body);
  EXPECT_EQ(fs::path(again["path"].get<std::string>()).filename(), "isms-20260302T090000Z-p1-1");

  server::backup_room unconfigured({}, *s.store, pool, identify, [] { return t0; });
  EXPECT_EQ(unconfigured.backup(request_as("root", "POST")).status, 503u);
}

// --------------------------------------------------------------- audit room

TEST(audit_room, export_and_verify_are_for_auditors_and_admins_and_erasure_for_admins) {
  store_fixture s;
  s.append_one("thing-1");
  s.append_one("thing-2");
  server::worker_pool pool(1);
  server::chain_verifier verifier({}, *s.store);
  verifier.start();
  std::vector<std::uint64_t> erased_at;
  server::audit_room room({}, *s.store, verifier, pool,
                          {as_header({{"root", {domain::role::admin}},
                                      {"eve", {domain::role::external_auditor}},
                                      {"ann", {domain::role::isms_manager}}}),
                           [] { return t0; }, [&](std::uint64_t, std::uint64_t p) { erased_at.push_back(p); }});

  EXPECT_EQ(room.events_export(request_as("")).status, 401u);
  EXPECT_EQ(room.events_export(request_as("ann")).status, 403u);
  auto r = room.events_export(request_as("eve"));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.content_type, "application/x-ndjson");
  EXPECT_EQ(std::count(r.body.begin(), r.body.end(), '\n'), 2);
  auto limited = request_as("eve");
  limited.query = "from=2&limit=5";
  const auto tail = room.events_export(limited).body;
  EXPECT_EQ(std::count(tail.begin(), tail.end(), '\n'), 1) << tail;
  limited.query = "limit=0";
  EXPECT_EQ(room.events_export(limited).status, 400u);

  EXPECT_EQ(room.verify_chain(request_as("ann")).status, 403u);
  verifier.wait_background_done();
  const auto v = room.verify_chain(request_as("eve"));
  ASSERT_EQ(v.status, 200u) << v.body;
  EXPECT_EQ(json::parse(v.body)["verified"], true);

  const std::string erase = R"({"position": 1, "fields": ["email"], "reason": "left the company"})";
  EXPECT_EQ(room.erase_personal_data(request_as("eve", "POST", erase)).status, 403u);
  EXPECT_EQ(room.erase_personal_data(request_as("root", "POST", R"({"position": 1})")).status, 400u);
  const auto e = room.erase_personal_data(request_as("root", "POST", erase));
  ASSERT_EQ(e.status, 200u) << e.body;
  EXPECT_EQ(erased_at, std::vector<std::uint64_t>{json::parse(e.body)["erasure_position"].get<std::uint64_t>()});
}

// ------------------------------------------------------------- session room

struct session_fixture {
  store_fixture s;
  server::worker_pool pool{1};
  std::unique_ptr<server::auth_service> auth;
  std::vector<std::string> closed_users;
  std::unique_ptr<server::session_room> room;
  server::router routes;
  session_fixture() {
    server::auth_options o;
    o.argon2_opslimit = crypto_pwhash_OPSLIMIT_MIN;
    o.argon2_memlimit = crypto_pwhash_MEMLIMIT_MIN;
    auth = std::make_unique<server::auth_service>(o, *s.store, [](std::string_view u) { return u == "ann" || u == "root"; });
    if (!auth->set_password("ann", "ann-password-1")) throw std::runtime_error("set_password");
    server::session_room_parts parts{
        [] { return t0; },
        [](const std::string& u) {
          return domain::actor{u, u == "root" ? std::vector{domain::role::admin} : std::vector{domain::role::isms_manager}};
        },
        [](std::string_view u) { return json{{"id", u}}; },
        [](const std::string& u) { return u == "ann" || u == "root"; },
        [this](const std::string& u, const std::string&) { closed_users.push_back(u); },
        [](const std::string&, const std::string&) {}};
    room = std::make_unique<server::session_room>(server::session_room_options{std::chrono::seconds{600}, true, 64},
                                                  *auth, pool, std::move(parts));
    room->add_routes(routes);
  }
  http_response call(http_request r) {
    std::promise<http_response> answered;
    routes.dispatch(std::move(r), [&](http_response a) { answered.set_value(std::move(a)); });
    return answered.get_future().get();
  }
};

std::string header_of(const http_response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return {};
}

TEST(session_room, signing_in_sets_the_cookie_that_identifies_the_sender) {
  session_fixture f;
  auto login = request_as("", "POST", R"({"username": "ann", "password": "ann-password-1"})");
  login.path = "/api/session";
  login.remote = "127.0.0.1:5000";
  const auto r = f.call(login);
  ASSERT_EQ(r.status, 200u) << r.body;
  const std::string token = json::parse(r.body)["token"];
  EXPECT_EQ(header_of(r, "Set-Cookie"),
            "isms_session=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=600; Secure");

  http_request by_cookie;
  by_cookie.headers.emplace_back("cookie", "other=1; isms_session=" + token);
  const auto who = f.room->identify(by_cookie);
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->user_id, "ann");
  EXPECT_TRUE(who->actor.has(domain::role::isms_manager));
  http_request by_bearer;
  by_bearer.headers.emplace_back("authorization", "Bearer " + token);
  EXPECT_TRUE(f.room->identify(by_bearer).has_value());
  EXPECT_FALSE(f.room->identify(http_request{}).has_value());

  auto wrong = login;
  wrong.body = R"({"username": "ann", "password": "not-the-password"})";
  EXPECT_EQ(f.call(wrong).status, 401u);
  wrong.body = R"({"username": "ann"})";
  EXPECT_EQ(f.call(wrong).status, 400u);

  // Signing out ends the session and clears the cookie.
  http_request logout = by_bearer;
  logout.method = "DELETE";
  logout.path = "/api/session";
  EXPECT_EQ(header_of(f.call(logout), "Set-Cookie"), "isms_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  EXPECT_FALSE(f.room->identify(by_bearer).has_value());
}

TEST(session_room, only_an_administrator_sets_another_users_password) {
  session_fixture f;
  ASSERT_TRUE(f.auth->set_password("root", "root-password-1"));
  auto token_of = [&](const std::string& user, const std::string& pw) {
    auto s = f.auth->login(user, pw, "127.0.0.1", std::chrono::system_clock::time_point{std::chrono::milliseconds{t0}});
    return s ? s->token : std::string{};
  };
  auto set = [&](const std::string& token, const std::string& body) {
    http_request r;
    r.method = "POST";
    r.path = "/api/users/password";
    r.body = body;
    r.headers.emplace_back("authorization", "Bearer " + token);
    return f.call(r);
  };
  const std::string ann = token_of("ann", "ann-password-1");
  const std::string root = token_of("root", "root-password-1");
  EXPECT_EQ(set(ann, R"({"user": "ann", "password": "a-new-password-2"})").status, 403u);
  EXPECT_EQ(set(root, R"({"user": "bob", "password": "a-new-password-2"})").status, 404u);
  EXPECT_EQ(set(root, R"({"user": "ann", "password": "short"})").status, 400u);
  EXPECT_EQ(set(root, R"({"user": "ann", "password": "a-new-password-2"})").status, 200u);
  EXPECT_EQ(f.closed_users, std::vector<std::string>{"ann"});
  EXPECT_FALSE(token_of("ann", "a-new-password-2").empty());
}

// --------------------------------------------------------------- web UI files

TEST(static_site, the_answer_gives_html_its_own_policy_and_a_miss_404) {
  temp_dir d;
  fs::create_directories(d.path / "js");
  std::ofstream(d.path / "index.html") << "<!doctype html>";
  std::ofstream(d.path / "js" / "app.js") << "export {};";
  const server::static_site site(d.path);
  const auto shell = site.answer("/risks");  // a client-side route: the shell
  EXPECT_EQ(shell.status, 200u);
  EXPECT_EQ(shell.body, "<!doctype html>");
  EXPECT_NE(header_of(shell, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  const auto js = site.answer("/js/app.js");
  EXPECT_EQ(js.body, "export {};");
  EXPECT_TRUE(header_of(js, "Content-Security-Policy").empty());
  EXPECT_EQ(site.answer("/missing.css").status, 404u);
}

// --------------------------------------------------------------- time rules

TEST(time_rules, the_due_commands_run_as_the_system_and_reminders_go_out) {
  std::vector<server::command_request> ran;
  std::vector<std::pair<std::string, json>> reminded;
  domain::date asked{};
  server::time_rules rules({[] { return t0 + 3600000; },
                            [&](domain::date today) -> std::expected<server::due_today, domain::rejection> {
                              asked = today;
                              return server::due_today{
                                  json{{"acceptances_expired",
                                        {{{"stream", "risk-R1"},
                                          {"owner", "olga"},
                                          {"command", {{"type", "risk.expire_acceptance"},
                                                       {"stream", "risk-R1"},
                                                       {"data", json::object()},
                                                       {"command_id", "expire:risk-R1:2026-03-02"}}}}}},
                                        {"treatments_overdue",
                                         {{{"id", "risk-R2"}, {"stream", "risk-R2"}, {"owner", "olga"},
                                           {"due", "2026-03-01"}}}}},
                                  {"mia"}};
                            },
                            [&](server::command_request r) {
                              ran.push_back(r);
                              return server::command_outcome{};
                            },
                            [&](const std::string& key, const std::string& user, const json& n) {
                              reminded.emplace_back(key + "|" + user, n);
                            }});
  rules.run_once();
  EXPECT_EQ(domain::format_date(asked), "2026-03-02");
  ASSERT_EQ(ran.size(), 1u);
  EXPECT_EQ(ran[0].type, "risk.expire_acceptance");
  EXPECT_EQ(ran[0].command_id, "expire:risk-R1:2026-03-02");
  EXPECT_TRUE(ran[0].as_system);
  // The expiry is told by the event the command records, not reminded too.
  ASSERT_EQ(reminded.size(), 1u);
  EXPECT_EQ(reminded[0].first, "due:treatments_overdue:risk-R2:2026-03-01|olga");
  EXPECT_EQ(reminded[0].second["user_id"], "olga");
  EXPECT_EQ(reminded[0].second["subject_stream"], "risk-R2");
}

// Who each list of the `due` view reminds (docs/views.md, "Reminders"): one
// reminder per person and item, to the people the docs name.
TEST(time_rules, each_kind_of_reminder_reaches_the_people_the_docs_name_once) {
  const json item{{"id", "X-1"}, {"stream", "risk-R1"}, {"owner", "olga"}, {"due", "2026-03-20"}};
  const std::vector<std::string> managers{"mia", "olga", "max"};  // olga is also an ISMS manager
  const auto who = [&](const std::string& list) {
    std::map<std::string, std::string> to;  // user → reminder id
    for (const auto& n : server::due_reminders(json{{list, {item}}}, managers)) {
      EXPECT_EQ(n.kind, list);
      EXPECT_TRUE(to.emplace(n.user_id, n.id).second) << list << ": " << n.user_id << " reminded twice";
    }
    return to;
  };
  using users = std::map<std::string, std::string>;
  // The owner and every ISMS manager (docs/domain.md, the risk's time rules).
  EXPECT_EQ(who("acceptances_expiring"), (users{{"olga", "due:acceptances_expiring:X-1:2026-03-20"},
                                                {"mia", "due:acceptances_expiring:X-1:2026-03-20:mia"},
                                                {"max", "due:acceptances_expiring:X-1:2026-03-20:max"}}));
  // Told once, by risk.acceptance_expired.v1's own notification.
  EXPECT_EQ(who("acceptances_expired"), users{});
  for (const std::string list : {"treatments_overdue", "documents_review_due", "actions_overdue", "objectives_overdue",
                                 "supplier_assessments_due"})
    EXPECT_EQ(who(list), (users{{"olga", "due:" + list + ":X-1:2026-03-20"}})) << list;
  // An item without an owner reminds nobody, and neither does an unknown list.
  EXPECT_TRUE(server::due_reminders(json{{"acceptances_expiring", {json{{"id", "X-2"}}}}}, managers).empty());
  EXPECT_TRUE(server::due_reminders(json{{"unknown_list", {item}}}, managers).empty());
}

}  // namespace
}  // namespace isms::testing::rooms_test
