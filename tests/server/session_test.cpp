// Who learns what over the WebSocket API, and for how long: a retried
// command's original result is told only to its sender; a connection lives
// no longer than the session it was opened with (sign-out, expiry, a changed
// password); a long list comes in pages, and a reply too large for the
// connection's queue is a too_large answer, never a dropped connection.
// A real server on loopback, real clients, a real RocksDB, the test's clock.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <condition_variable>
#include <mutex>
#include <set>

#include "isms/domain/views/vocabulary.hpp"
#include "isms/domain/authorization.hpp"
#include "isms/server/config.hpp"
#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::session_test {
namespace {

std::vector<std::pair<std::string, std::string>> bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

// ------------------------------------------------------------ idempotency

TEST(idempotency, a_recorded_command_is_told_only_to_its_sender) {
  test_server srv;
  auto manager = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  auto other_manager = connect_as(srv, srv.add_user("max", {"isms_manager"}));
  auto auditor = connect_as(srv, srv.add_user("eve", {"external_auditor"}));
  srv.add_user("olga", {"risk_owner"});

  auto first = manager->command("risk.identify", "risk-R-1", identify_data("olga"), std::nullopt, "mia-secret-1");
  ASSERT_TRUE(ok(first)) << first->dump();
  const auto position = (*first)["result"]["position"].get<std::uint64_t>();
  const auto head = srv.store().current_head().position;

  // An auditor may send no command: the same id gets forbidden, not the result.
  auto by_auditor = auditor->command("risk.identify", "risk-R-1", identify_data("olga"), std::nullopt, "mia-secret-1");
  EXPECT_EQ(error_code(by_auditor), "forbidden") << by_auditor->dump();
  EXPECT_FALSE(by_auditor->contains("result"));

  // Another user allowed to send the command learns only that the id is taken.
  auto by_other = other_manager->command("risk.identify", "risk-R-1", identify_data("olga"), std::nullopt, "mia-secret-1");
  EXPECT_EQ(error_code(by_other), "conflict") << by_other->dump();
  EXPECT_EQ((*by_other)["error"].value("field", ""), "command_id");
  EXPECT_EQ(by_other->dump().find(std::to_string(position) + ","), std::string::npos);
  EXPECT_FALSE(by_other->contains("result"));

  // The same sender reusing the id for another stream is refused alike.
  auto elsewhere = manager->command("risk.identify", "risk-R-2", identify_data("olga"), std::nullopt, "mia-secret-1");
  EXPECT_EQ(error_code(elsewhere), "conflict") << elsewhere->dump();

  // A malformed retry is a bad request before any lookup.
  auto malformed = manager->command("risk.identify", "nc-NC-1", identify_data("olga"), std::nullopt, "mia-secret-1");
  EXPECT_EQ(error_code(malformed), "bad_request") << malformed->dump();

  // The sender's own retry after a lost reply gets the original result.
  auto retry = manager->command("risk.identify", "risk-R-1", identify_data("olga"), std::nullopt, "mia-secret-1");
  ASSERT_TRUE(ok(retry)) << retry->dump();
  EXPECT_TRUE((*retry)["result"].value("duplicate", false));
  EXPECT_EQ((*retry)["result"]["position"], position);

  // None of it wrote anything.
  EXPECT_EQ(srv.store().current_head().position, head);
}

// ------------------------------------------------------------ sessions

// The web UI learns what a user may do from the server, never from a copy
// of the table: the session reply lists it from the domain's authorization
// table and the HTTP endpoints' table, by the user's current roles.
TEST(sessions, the_session_says_which_commands_and_endpoints_the_user_may_use) {
  test_server srv;
  auto may = [&](const std::string& token) {
    auto r = http_call(srv.port(), "GET", "/api/session", "", bearer(token));
    EXPECT_EQ(r.status, 200u) << r.body;
    auto j = json::parse(r.body);
    std::set<std::string> commands, endpoints;
    for (const auto& c : j.at("user").at("may").at("commands")) commands.insert(c.get<std::string>());
    for (const auto& e : j.at("user").at("may").at("endpoints")) endpoints.insert(e.get<std::string>());
    return std::pair{commands, endpoints};
  };
  const auto [manager, manager_endpoints] = may(srv.add_user("mia", {"isms_manager"}));
  EXPECT_TRUE(manager.contains("risk.identify"));
  EXPECT_TRUE(manager.contains("soa.request_publication"));
  EXPECT_FALSE(manager.contains("user.register"));
  EXPECT_FALSE(manager.contains("risk.accept")) << "issued by the system only";
  EXPECT_TRUE(manager_endpoints.empty());

  const auto [auditor, auditor_endpoints] = may(srv.add_user("aude", {"external_auditor"}));
  EXPECT_TRUE(auditor.empty()) << "an external auditor reads only";
  EXPECT_EQ(auditor_endpoints, (std::set<std::string>{"events.export", "checkpoints.make"}));

  const auto [admin, admin_endpoints] = may(srv.add_user("root", {"admin"}));
  EXPECT_TRUE(admin.contains("user.register"));
  EXPECT_FALSE(admin.contains("risk.identify"));
  EXPECT_EQ(admin_endpoints, (std::set<std::string>{"events.export", "checkpoints.make", "erasure", "backup", "rules.run", "users.password", "users.second_factor"}));

  // Exactly the domain's rows for the role, nothing more.
  const domain::actor mia{"mia", {domain::role::isms_manager}};
  std::set<std::string> expected;
  for (const auto& p : domain::authorization_table())
    if (domain::may_issue(mia, p.command_type)) expected.insert(std::string(p.command_type));
  EXPECT_EQ(manager, expected);
}

// The rule "a risk owner acts only on the risks they own" is stated by the
// server too: the session lists the command types the user may send only
// about what they own, from the table decide reads.
TEST(sessions, the_session_says_which_commands_the_user_may_send_only_about_their_own) {
  test_server srv;
  auto own_only = [&](const std::string& token) {
    auto r = http_call(srv.port(), "GET", "/api/session", "", bearer(token));
    EXPECT_EQ(r.status, 200u) << r.body;
    std::set<std::string> out;
    const json j = json::parse(r.body);
    for (const auto& c : j.at("user").at("may").at("own_only")) out.insert(c.get<std::string>());
    return out;
  };
  EXPECT_EQ(own_only(srv.add_user("rob", {"risk_owner"})),
            (std::set<std::string>{"risk.identify", "risk.assess", "risk.plan_treatment",
                                   "risk.record_treatment_implemented", "incident.record_containment",
                                   "incident.record_evidence", "incident.resolve", "supplier.record_assessment",
                                   "asset.change", "asset.request_reclassification", "asset.retire",
                                   "evidence.attach", "evidence.review", "evidence.withdraw", "risk.link_assets"}));
  EXPECT_EQ(own_only(srv.add_user("cleo", {"contributor"})),
            (std::set<std::string>{"document.draft", "document.revise", "document.record_review",
                                   "objective.record_progress", "nc.complete_action",
                                   "review.complete_action", "incident.record_containment",
                                   "incident.record_evidence", "incident.resolve", "evidence.review",
                                   "evidence.withdraw"}));
  EXPECT_TRUE(own_only(srv.add_user("mia", {"isms_manager"})).empty()) << "the ISMS manager acts on every entity";
  EXPECT_TRUE(own_only(srv.add_user("max", {"isms_manager", "risk_owner"})).empty());
}

// The clients show the registers' states in the domain's order and words:
// the session reply carries them, on sign-in and on "who am I".
TEST(sessions, the_session_carries_the_vocabulary_of_the_registers) {
  test_server srv;
  const auto token = srv.add_user("mia", {"isms_manager"});
  auto r = http_call(srv.port(), "GET", "/api/session", "", bearer(token));
  ASSERT_EQ(r.status, 200u) << r.body;
  const json v = json::parse(r.body).at("vocabulary");
  EXPECT_EQ(v, domain::views::vocabulary());
  ASSERT_EQ(v.at("risks").size(), 7u);
  EXPECT_EQ(v.at("risks").front(), (json{{"state", "identified"}, {"label", "Identified"}, {"tone", "neutral"}}));
  EXPECT_EQ(v.at("risks").back().at("state"), "retired");
  for (const char* reg : {"documents", "nonconformities", "objectives", "approvals", "audits", "reviews",
                          "soa_applicability", "soa_status", "corrective_actions"})
    EXPECT_FALSE(v.at(reg).empty()) << reg;
}

TEST(sessions, signing_out_closes_that_sessions_connections_only) {
  test_server srv;
  const std::string first = srv.add_user("mia", {"isms_manager"});
  const std::string second = srv.token_of("mia");  // the same user on another device
  auto a = connect_as(srv, first);
  auto a2 = connect_as(srv, first);
  auto b = connect_as(srv, second);
  ASSERT_TRUE(ok(a->request({{"op", "ping"}})));

  auto out = http_call(srv.port(), "DELETE", "/api/session", "", bearer(first));
  ASSERT_EQ(out.status, 200u) << out.body;

  // Both connections of the signed-out session are closed with 1008, at once:
  // no request of theirs is needed for it.
  EXPECT_FALSE(a->read(std::chrono::seconds(20)));
  EXPECT_EQ(a->close_code(), 1008);
  EXPECT_FALSE(a2->read(std::chrono::seconds(20)));
  EXPECT_EQ(a2->close_code(), 1008);
  // The other session is untouched.
  EXPECT_TRUE(ok(b->request({{"op", "ping"}})));
  // And the signed-out token opens nothing any more.
  unsigned status = 0;
  ws_client::options o;
  o.bearer = first;
  EXPECT_EQ(ws_client::connect(srv.port(), o, &status), nullptr);
  EXPECT_EQ(status, 401u);
}

TEST(sessions, an_expired_session_answers_no_further_request) {
  test_server srv;
  auto c = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  ASSERT_TRUE(ok(c->request({{"op", "ping"}})));
  srv.now_ms += 12LL * 3600 * 1000;  // the default time to live, 12 h
  // Neither a query nor a command is answered; the connection is closed instead.
  c->send_text(R"({"id":"q","op":"query","view":"risks"})");
  c->send_text(R"({"id":"c","op":"command","type":"user.register","stream":"user-x","data":{"name":"X","roles":["contributor"]}})");
  for (;;) {
    auto m = c->read(std::chrono::seconds(20));
    if (!m) break;
    ADD_FAILURE() << "answered after its session expired: " << *m;
  }
  EXPECT_EQ(c->close_code(), 1008);
  EXPECT_TRUE(srv.store().read_stream("user-x")->empty());
}

TEST(sessions, an_expired_session_is_closed_without_any_request) {
  test_server srv([](server::server_config& c) { c.ledger.session_sweep_interval = std::chrono::milliseconds(20); });
  auto idle = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  auto fresh_token = srv.add_user("olga", {"risk_owner"});
  ASSERT_TRUE(ok(idle->request({{"op", "ping"}})));
  srv.now_ms += 12LL * 3600 * 1000 - 60 * 1000;
  fresh_token = srv.token_of("olga");  // signed in a minute before mia's session ends
  auto fresh = connect_as(srv, fresh_token);
  srv.now_ms += 60 * 1000;
  // The idle connection says nothing; the sweep closes it.
  EXPECT_FALSE(idle->read(std::chrono::seconds(20)));
  EXPECT_EQ(idle->close_code(), 1008);
  EXPECT_TRUE(ok(fresh->request({{"op", "ping"}})));
}

TEST(sessions, changing_ones_password_ends_every_session_of_the_user) {
  test_server srv;
  const std::string here = srv.add_user("mia", {"isms_manager"});
  const std::string elsewhere = srv.token_of("mia");
  auto c_here = connect_as(srv, here);
  auto c_elsewhere = connect_as(srv, elsewhere);
  auto bystander = connect_as(srv, srv.add_user("olga", {"risk_owner"}));

  auto r = http_call(srv.port(), "POST", "/api/session/password",
                     json{{"current", "pw-mia"}, {"new", "a-new-password-of-mia"}}.dump(), bearer(here));
  ASSERT_EQ(r.status, 200u) << r.body;
  const std::string renewed = r.json_body().value("token", "");
  ASSERT_EQ(renewed.size(), 64u) << r.body;
  EXPECT_NE(r.header("set-cookie").find("isms_session=" + renewed), std::string::npos);

  for (auto* c : {c_here.get(), c_elsewhere.get()}) {
    EXPECT_FALSE(c->read(std::chrono::seconds(20)));
    EXPECT_EQ(c->close_code(), 1008);
  }
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/session", "", bearer(here)).status, 401u);
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/session", "", bearer(elsewhere)).status, 401u);
  // The caller goes on with the session the answer opened.
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/session", "", bearer(renewed)).status, 200u);
  auto again = connect_as(srv, renewed);
  EXPECT_TRUE(ok(again->request({{"op", "ping"}})));
  EXPECT_TRUE(ok(bystander->request({{"op", "ping"}})));
  EXPECT_FALSE(login(srv.port(), "mia", "a-new-password-of-mia").empty());
}

// ------------------------------------------------------------ paging

// Identifies `n` risks R-<from>… at once through the command pipeline.
void identify_risks(test_server& srv, int from, int n, const std::string& title) {
  std::mutex m;
  std::condition_variable cv;
  int left = n;
  std::atomic<int> failed{0};
  for (int i = from; i < from + n; ++i) {
    server::command_request req;
    req.type = "risk.identify";
    req.stream = "risk-R-" + std::to_string(i);
    req.data = identify_data("olga", title);
    srv.app().pipeline().submit("mia", std::move(req), [&](server::command_outcome o) {
      if (!o.ok) failed.fetch_add(1);
      std::lock_guard lock(m);
      if (--left == 0) cv.notify_all();
    });
  }
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return left == 0; });
  ASSERT_EQ(failed.load(), 0);
}

// Every row of `view` by following data.next; the ids in order.
std::vector<std::string> all_pages(ws_client& c, const std::string& view, json params, int* pages = nullptr) {
  std::vector<std::string> ids;
  for (int n = 1;; ++n) {
    auto r = c.query(view, params);
    EXPECT_TRUE(ok(r)) << (r ? r->dump() : "no reply");
    if (!ok(r)) return ids;
    const json& data = (*r)["result"]["data"];
    for (const auto& row : data.at(view)) ids.push_back(row.at("id").get<std::string>());
    if (data.at("next").is_null()) {
      if (pages) *pages = n;
      return ids;
    }
    params["after"] = data.at("next");
  }
}

TEST(paging, a_long_list_comes_in_pages_read_from_one_state) {
  test_server srv;
  auto c = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  srv.add_user("olga", {"risk_owner"});
  identify_risks(srv, 10, 30, "Laptop theft");

  auto first = c->query("risks", {{"limit", 7}});
  ASSERT_TRUE(ok(first)) << first->dump();
  const json& data = (*first)["result"]["data"];
  EXPECT_EQ(data["risks"].size(), 7u);
  EXPECT_EQ(data["count"], 30);  // all matching rows
  EXPECT_EQ(data["page"]["offset"], 0);
  ASSERT_TRUE(data["next"].is_string());

  // A risk identified while paging does not shift the pages.
  identify_risks(srv, 99, 1, "Added meanwhile");
  std::vector<std::string> ids;
  for (const auto& row : data["risks"]) ids.push_back(row["id"]);
  json params{{"limit", 7}, {"after", data["next"]}};
  int pages = 1;
  for (;;) {
    auto r = c->query("risks", params);
    ASSERT_TRUE(ok(r)) << r->dump();
    ++pages;
    EXPECT_EQ((*r)["result"]["position"], (*first)["result"]["position"]);
    for (const auto& row : (*r)["result"]["data"]["risks"]) ids.push_back(row["id"]);
    if ((*r)["result"]["data"]["next"].is_null()) break;
    params["after"] = (*r)["result"]["data"]["next"];
  }
  EXPECT_EQ(pages, 5);
  ASSERT_EQ(ids.size(), 30u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 30u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));

  // A fresh listing includes it; the default page holds everything here.
  auto now = c->query("risks");
  ASSERT_TRUE(ok(now));
  EXPECT_EQ((*now)["result"]["data"]["risks"].size(), 31u);
  EXPECT_TRUE((*now)["result"]["data"]["next"].is_null());

  // Bad paging parameters are bad requests naming the parameter.
  for (const json& bad : {json{{"limit", 0}}, json{{"limit", 1001}}, json{{"limit", "7"}}, json{{"after", "x"}},
                          json{{"after", 5}}, json{{"after", "12:0"}}}) {
    auto r = c->query("risks", bad);
    EXPECT_EQ(error_code(r), "bad_request") << bad.dump();
    EXPECT_TRUE((*r)["error"].value("field", "").starts_with("params.")) << r->dump();
  }
  auto not_paged = c->query("scope", {{"after", "3:1"}});
  EXPECT_EQ(error_code(not_paged), "bad_request");
}

TEST(paging, a_reply_over_the_queue_bound_is_too_large_and_the_connection_stays) {
  // A small queue bound, set as an operator would.
  test_server srv([](server::server_config& c) {
    auto r = server::apply_config(json{{"limits", {{"max_ws_queued_bytes", 64 * 1024}}}}, c);
    if (!r) throw std::runtime_error(r.error());
  });
  auto c = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  srv.add_user("olga", {"risk_owner"});
  identify_risks(srv, 1000, 200, std::string(150, 'T'));

  // Whole, the register is larger than the bound: a too_large answer instead.
  auto whole = c->query("risks", {{"limit", 1000}});
  ASSERT_TRUE(whole) << "no reply: the connection was dropped";
  EXPECT_EQ(error_code(whole), "too_large") << whole->dump().substr(0, 300);
  std::printf("[ figures  ] 200 risks in one reply: %s\n", (*whole)["error"].value("message", "").c_str());
  EXPECT_TRUE(c->open());
  EXPECT_TRUE(ok(c->request({{"op", "ping"}})));

  // In pages it all arrives.
  int pages = 0;
  auto ids = all_pages(*c, "risks", {{"limit", 50}}, &pages);
  EXPECT_EQ(ids.size(), 200u);
  EXPECT_EQ(pages, 4);
}

}  // namespace
}  // namespace isms::testing::session_test
