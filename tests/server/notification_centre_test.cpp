// The notification centre: every notification a user was sent is kept for
// them, also when they were offline when it was sent, across restarts, once
// each, the newest within a bound, with what they have read. On a real
// server on loopback with a real RocksDB and the test's clock.

#include "isms/server/notification_centre.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::notification_centre_test {
namespace {

std::vector<std::pair<std::string, std::string>> bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

json centre_of(const test_server& srv, const std::string& token, const std::string& query = "") {
  auto r = http_call(srv.port(), "GET", "/api/notifications" + query, "", bearer(token));
  EXPECT_EQ(r.status, 200u) << r.body;
  return r.json_body();
}

TEST(notification_centre, keeps_what_an_offline_user_was_sent_across_a_restart_and_what_they_read) {
  test_server srv;
  auto manager = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  const auto olga = srv.add_user("olga", {"risk_owner"});
  // olga never connects: the request for her approval is pushed to no one.
  risk_awaiting_olga(*manager, srv);

  json centre = centre_of(srv, olga);
  const json items = centre.at("notifications");
  ASSERT_FALSE(items.empty()) << centre.dump();
  const json newest = items[0];
  EXPECT_EQ(newest.at("kind"), "approval_requested") << newest.dump();
  EXPECT_EQ(newest.at("subject_stream"), "risk-R-2");
  EXPECT_EQ(newest.at("user_id"), "olga");
  EXPECT_EQ(newest.at("read"), false);
  EXPECT_FALSE(newest.at("approval_id").get<std::string>().empty());
  EXPECT_TRUE(newest.at("at").get<std::string>().ends_with("Z")) << newest.dump();
  EXPECT_EQ(centre.at("unread"), items.size());
  // Newest first, each with its own sequence number.
  for (std::size_t i = 1; i < items.size(); ++i)
    EXPECT_GT(items[i - 1].at("seq").get<std::uint64_t>(), items[i].at("seq").get<std::uint64_t>());
  // Nobody else's: the manager was told nothing of olga's.
  const json managers_centre = centre_of(srv, srv.token_of("mia"));
  for (const auto& n : managers_centre.at("notifications")) EXPECT_EQ(n.at("user_id"), "mia");

  // Kept across a restart, and not again when the log is read at start.
  const std::size_t kept = items.size();
  manager.reset();  // an open connection would hold the restart for its grace period
  srv.restart();
  const auto olga_again = srv.token_of("olga");
  centre = centre_of(srv, olga_again);
  EXPECT_EQ(centre.at("notifications").size(), kept) << centre.dump();

  // Read up to the newest: nothing unread; never moved back.
  const auto newest_seq = centre.at("notifications")[0].at("seq").get<std::uint64_t>();
  auto read = http_call(srv.port(), "POST", "/api/notifications/read", json{{"up_to", newest_seq}}.dump(),
                        bearer(olga_again));
  ASSERT_EQ(read.status, 200u) << read.body;
  EXPECT_EQ(read.json_body().at("unread"), 0);
  auto back = http_call(srv.port(), "POST", "/api/notifications/read", json{{"up_to", 0}}.dump(), bearer(olga_again));
  EXPECT_EQ(back.json_body().at("unread"), 0) << back.body;
  centre = centre_of(srv, olga_again);
  EXPECT_EQ(centre.at("unread"), 0);
  EXPECT_EQ(centre.at("notifications")[0].at("read"), true);

  // What olga approves next tells mia; olga's centre is unchanged by it.
  auto reviewer = connect_as(srv, olga_again);
  ASSERT_TRUE(ok(reviewer->command("approval.approve", "approval-" + newest.at("approval_id").get<std::string>(),
                                   {{"comment", "fine"}})));
  srv.app().settle();
  EXPECT_EQ(centre_of(srv, olga_again).at("unread"), 0);
  const json mias = centre_of(srv, srv.token_of("mia"));
  ASSERT_FALSE(mias.at("notifications").empty()) << mias.dump();
  EXPECT_EQ(mias.at("notifications")[0].at("kind"), "approval_approved") << mias.dump();
}

TEST(notification_centre, answers_only_its_signed_in_user_and_refuses_bad_requests) {
  test_server srv;
  const auto olga = srv.add_user("olga", {"risk_owner"});
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/notifications").status, 401u);
  EXPECT_EQ(http_call(srv.port(), "POST", "/api/notifications/read", R"({"up_to":1})").status, 401u);
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/notifications?limit=0", "", bearer(olga)).status, 400u);
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/notifications?limit=100000", "", bearer(olga)).status, 400u);
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/notifications?before=-1", "", bearer(olga)).status, 400u);
  EXPECT_EQ(http_call(srv.port(), "POST", "/api/notifications/read", R"({"up_to":"all"})", bearer(olga)).status, 400u);
  EXPECT_EQ(http_call(srv.port(), "POST", "/api/notifications/read", "[[[[", bearer(olga)).status, 400u);
  // Reading ahead of what was sent does not mark the future read.
  auto ahead = http_call(srv.port(), "POST", "/api/notifications/read", R"({"up_to":1000})", bearer(olga));
  EXPECT_EQ(ahead.status, 200u) << ahead.body;
  EXPECT_EQ(centre_of(srv, olga).at("read_up_to"), 0);
}

TEST(notification_centre, keeps_the_newest_within_its_bound_in_pages) {
  test_server srv([](server::server_config& c) { c.ledger.centre.keep_per_user = 3; });
  auto manager = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  const auto olga = srv.add_user("olga", {"risk_owner"});
  // Each new risk of olga's tells her that she owns it.
  for (int i = 1; i <= 5; ++i)
    ASSERT_TRUE(ok(manager->command("risk.identify", "risk-R-" + std::to_string(i),
                                    identify_data("olga", "Risk number " + std::to_string(i)))));
  srv.app().settle();

  const json all = centre_of(srv, olga);
  ASSERT_EQ(all.at("notifications").size(), 3u) << all.dump();
  EXPECT_EQ(all.at("notifications")[0].at("subject_stream"), "risk-R-5");
  EXPECT_EQ(all.at("notifications")[2].at("subject_stream"), "risk-R-3");
  EXPECT_TRUE(all.at("next_before").is_null());
  EXPECT_EQ(all.at("unread"), 3);

  const json first = centre_of(srv, olga, "?limit=2");
  ASSERT_EQ(first.at("notifications").size(), 2u);
  ASSERT_TRUE(first.at("next_before").is_number()) << first.dump();
  const json second = centre_of(srv, olga, "?limit=2&before=" + std::to_string(first.at("next_before").get<int>()));
  ASSERT_EQ(second.at("notifications").size(), 1u) << second.dump();
  EXPECT_EQ(second.at("notifications")[0].at("subject_stream"), "risk-R-3");
  EXPECT_TRUE(second.at("next_before").is_null());
}

TEST(notification_centre, keeps_a_reminder_once) {
  test_server srv([](server::server_config& c) { c.ledger.auth.session_ttl = std::chrono::days(30); });
  auto manager = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  const auto olga = srv.add_user("olga", {"risk_owner"});
  ASSERT_TRUE(ok(manager->command("risk.identify", "risk-R-1", identify_data("olga"))));
  ASSERT_TRUE(ok(manager->command("risk.assess", "risk-R-1", {{"likelihood", 3}, {"impact", 5}, {"rationale", "x"}})));
  ASSERT_TRUE(ok(manager->command("risk.plan_treatment", "risk-R-1",
                                  {{"option", "modify"},
                                   {"controls", {"8.7"}},
                                   {"actions", "EDR on every server"},
                                   {"target_likelihood", 1},
                                   {"target_impact", 4},
                                   {"due", "2026-03-10"}})));
  srv.app().settle();
  const std::size_t before = centre_of(srv, olga).at("notifications").size();

  srv.advance_days(12);  // the treatment is overdue: olga is reminded, while offline
  srv.app().run_scheduler_once();
  srv.advance_days(1);
  srv.app().run_scheduler_once();
  const json centre = centre_of(srv, olga);
  ASSERT_EQ(centre.at("notifications").size(), before + 1) << centre.dump();
  const json& reminder = centre.at("notifications")[0];
  EXPECT_EQ(reminder.at("subject_stream"), "risk-R-1") << reminder.dump();
  EXPECT_EQ(reminder.at("read"), false);
}

TEST(notification_centre, an_erasure_drops_the_notifications_made_from_what_it_erased) {
  test_server srv;
  auto manager = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  const auto olga = srv.add_user("olga", {"risk_owner"});
  auto named = manager->command("risk.identify", "risk-R-1", identify_data("olga", "Laptop of Jane Roe stolen"));
  ASSERT_TRUE(ok(named)) << named->dump();
  const std::uint64_t position = (*named)["result"]["position"];
  ASSERT_TRUE(ok(manager->command("risk.identify", "risk-R-2", identify_data("olga", "Ransomware"))));
  srv.app().settle();
  ASSERT_NE(centre_of(srv, olga).dump().find("Jane Roe"), std::string::npos);

  const auto admin = login(srv.port(), "admin", test_server::admin_password);
  auto erased = http_call(srv.port(), "POST", "/api/erasure",
                          json{{"position", position}, {"fields", {"title"}}, {"reason", "GDPR Art. 17, DSR-1"}}.dump(),
                          bearer(admin));
  ASSERT_EQ(erased.status, 200u) << erased.body;
  const json centre = centre_of(srv, olga);
  EXPECT_EQ(centre.dump().find("Jane Roe"), std::string::npos) << centre.dump();
  ASSERT_EQ(centre.at("notifications").size(), 1u) << centre.dump();
  EXPECT_EQ(centre.at("notifications")[0].at("subject_stream"), "risk-R-2");
  manager.reset();
  srv.restart();
  EXPECT_EQ(centre_of(srv, srv.token_of("olga")).dump().find("Jane Roe"), std::string::npos) << "for good";
}

TEST(notification_centre, the_offline_erasure_drops_them_too) {
  test_server srv;
  auto manager = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  srv.add_user("olga", {"risk_owner"});
  auto named = manager->command("risk.identify", "risk-R-1", identify_data("olga", "Laptop of Jane Roe stolen"));
  ASSERT_TRUE(ok(named)) << named->dump();
  const std::uint64_t position = (*named)["result"]["position"];
  srv.app().settle();
  manager.reset();
  srv.stop();
  const std::string command = std::string(ISMSD_PATH) + " erase --data '" + srv.dir().string() +
                              "' --position " + std::to_string(position) +
                              " --fields title --reason 'GDPR Art. 17' > /dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  srv.restart();
  const json centre = centre_of(srv, login(srv.port(), "olga", "pw-olga"));
  EXPECT_EQ(centre.dump().find("Jane Roe"), std::string::npos) << centre.dump();
  EXPECT_TRUE(centre.at("notifications").empty()) << centre.dump();
}

// After a crash the events since the stored checkpoint are handed in again:
// what was stored already is not stored twice.
TEST(notification_centre, a_notification_handed_in_again_after_a_crash_is_kept_once) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ismsd-centre-XXXXXX").string();
  ASSERT_TRUE(::mkdtemp(tmpl.data()));
  const std::filesystem::path dir = tmpl;
  {
    auto store = eventstore::store::open(eventstore::options{}, dir);
    ASSERT_TRUE(store) << store.error().message;
    const json n{{"id", "n-1-olga"}, {"kind", "risk_assigned"}, {"title", "You own risk-R-1"},
                 {"user_id", "olga"}, {"subject_stream", "risk-R-1"}, {"approval_id", ""}, {"position", 1}};
    {
      server::notification_centre centre({}, **store);
      EXPECT_FALSE(centre.handled(1));
      centre.on_event(1, {{"olga", n}}, 1'700'000'000'000);
      EXPECT_TRUE(centre.handled(1));
      centre.flush();
      ASSERT_EQ(centre.list("olga", 50, 0)->items.size(), 1u);
    }
    {
      // Its checkpoint stored: the event is handled.
      server::notification_centre centre({}, **store);
      EXPECT_TRUE(centre.handled(1));
    }
    // As if the process died after storing the notification and before the
    // checkpoint moved: the event comes again.
    ASSERT_TRUE((*store)->put_meta("centre/checkpoint", "0"));
    server::notification_centre centre({}, **store);
    EXPECT_FALSE(centre.handled(1));
    centre.on_event(1, {{"olga", n}}, 1'700'000'000'000);
    centre.flush();
    const auto page = centre.list("olga", 50, 0);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->items.size(), 1u);
    EXPECT_EQ(page->items[0].at("at"), "2023-11-14T22:13:20.000Z");
    EXPECT_EQ(page->unread, 1u);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace isms::testing::notification_centre_test
