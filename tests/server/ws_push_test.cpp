// Pushes go through an index of connections by channel and by user: these
// tests hold the index to exactness over many connections that subscribe,
// unsubscribe and close in between events.
//
// Pushes for an event are queued on their connections while the event is
// applied, on the one thread that applies events in order; the command's
// reply may come earlier. So the test follows each command with a fence (a
// second event) and waits for the fence's push on a sentinel connection:
// then every push of the first event has been queued, and once a
// connection's ping is answered, every push meant for it has arrived.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::ws_push_test {
namespace {

struct probe {
  std::string user;
  std::unique_ptr<ws_client> ws;
  std::set<std::string> channels;  // what it is subscribed to now
};

// Pushes for `position` by channel, and every notification, after a ping.
struct seen {
  std::map<std::string, int> at_position;  // channel → pushes of the event at `position`
  std::vector<json> notifications;
  std::set<std::string> channels;  // every channel that pushed anything
  int review_events = 0;           // events pushed on a review: channel
};

seen pushes_of(ws_client& c, std::uint64_t position) {
  auto pong = c.request(json{{"op", "ping"}});
  EXPECT_TRUE(ok(pong));
  seen out;
  for (auto& p : c.take_pushes()) {
    const std::string ch = p.value("push", "");
    out.channels.insert(ch);
    if (ch == "notifications") {
      out.notifications.push_back(p["data"]);
      continue;
    }
    const json& d = p["data"];
    if (ch.starts_with("review:") && d.contains("event")) ++out.review_events;
    const json& event = d.contains("event") ? d["event"] : d;
    if (event.value("position", std::uint64_t{0}) == position) ++out.at_position[ch];
  }
  return out;
}

TEST(ws_push, pushes_reach_exactly_the_subscribed_connections_through_subscribes_unsubscribes_and_closes) {
  test_server srv;
  const std::map<std::string, std::string> tokens{
      {"mia", srv.add_user("mia", {"isms_manager"})},
      {"olga", srv.add_user("olga", {"risk_owner"})},
      {"otto", srv.add_user("otto", {"risk_owner"})},
      {"ian", srv.add_user("ian", {"internal_auditor"})},
  };
  const std::vector<std::string> users{"mia", "olga", "otto", "ian"};
  auto connect = [&](const std::string& user) {
    auto c = connect_as(srv, tokens.at(user));
    EXPECT_NE(c, nullptr);
    return c;
  };
  auto subscribe = [](probe& p, const std::string& channel, bool on) {
    auto r = p.ws->request({{"op", on ? "subscribe" : "unsubscribe"}, {"channel", channel}});
    ASSERT_TRUE(ok(r)) << r->dump();
    if (on) p.channels.insert(channel);
    else p.channels.erase(channel);
  };

  int round = 0;
  constexpr int connections = 60;
  std::vector<probe> probes;
  for (int i = 0; i < connections; ++i) {
    probe p;
    p.user = users[i % users.size()];
    p.ws = connect(p.user);
    ASSERT_NE(p.ws, nullptr);
    if (i % 2 == 0) subscribe(p, "view:risks", true);
    if (i % 3 == 0) subscribe(p, "view:soa", true);
    if (i % 2 == 1) subscribe(p, "notifications", true);
    if (i % 5 == 0 && (p.user == "mia" || p.user == "ian")) subscribe(p, "events", true);
    if (i % 6 == 1) subscribe(p, "review:MR-1", true);
    probes.push_back(std::move(p));
  }
  auto driver = connect("mia");
  ASSERT_NE(driver, nullptr);
  auto sentinel = connect("mia");
  ASSERT_NE(sentinel, nullptr);
  ASSERT_TRUE(ok(sentinel->request({{"op", "subscribe"}, {"channel", "view:risks"}})));
  auto identify = [&](const std::string& stream, const std::string& owner) {
    return driver->command("risk.identify", stream,
                           {{"title", "Key person leaves"},
                            {"asset", "Dispatch know-how"},
                            {"threat", "Resignation"},
                            {"vulnerability", "Undocumented procedures"},
                            {"owner", owner},
                            {"category", "people"}});
  };
  // Returns once every push of the events up to now has been queued.
  auto fence = [&](const std::string& owner) {
    auto f = identify("risk-F-" + std::to_string(round), owner);
    ASSERT_TRUE(ok(f)) << f->dump();
    const std::uint64_t at = (*f)["result"]["position"];
    for (;;) {
      auto push = sentinel->wait_push("view:risks");
      ASSERT_TRUE(push) << "the fence's push never came";
      if ((*push)["data"].value("position", std::uint64_t{0}) >= at) return;
    }
  };

  auto check_round = [&](const std::string& owner) {
    // What arrived before the last change of subscriptions was acknowledged
    // belongs to the earlier state.
    for (auto& p : probes)
      if (p.ws) p.ws->take_pushes();
    const std::string stream = "risk-R-" + std::to_string(++round);
    auto r = identify(stream, owner);
    ASSERT_TRUE(ok(r)) << r->dump();
    const std::uint64_t position = (*r)["result"]["position"];
    fence(owner);
    for (std::size_t i = 0; i < probes.size(); ++i) {
      auto& p = probes[i];
      if (!p.ws) continue;  // closed
      const seen s = pushes_of(*p.ws, position);
      for (const std::string ch : {"view:risks", "view:soa", "events"}) {
        const int expected = p.channels.contains(ch) ? 1 : 0;
        EXPECT_EQ(s.at_position.contains(ch) ? s.at_position.at(ch) : 0, expected)
            << "round " << round << ", connection " << i << " of " << p.user << ", channel " << ch;
        if (!p.channels.contains(ch)) {
          EXPECT_FALSE(s.channels.contains(ch)) << "connection " << i << ": " << ch;
        }
      }
      // Nothing happens on the review: its subscribers hear of no event
      // (only of who is present), the others of nothing at all.
      EXPECT_EQ(s.review_events, 0) << "connection " << i;
      if (!p.channels.contains("review:MR-1")) {
        EXPECT_FALSE(s.channels.contains("review:MR-1")) << "connection " << i;
      }
      // A notification reaches the new owner's connections that listen for
      // them, and nobody else's.
      const bool told = p.user == owner && p.channels.contains("notifications");
      int assigned = 0;
      for (const auto& n : s.notifications) {
        EXPECT_EQ(n.value("user_id", ""), p.user) << "connection " << i << " heard another user's notification";
        if (n.value("subject_stream", "") == stream && n.value("kind", "") == "risk_assigned") ++assigned;
      }
      EXPECT_EQ(assigned, told ? 1 : 0) << "round " << round << ", connection " << i << " of " << p.user;
      if (!p.channels.contains("notifications")) {
        EXPECT_TRUE(s.notifications.empty()) << "connection " << i;
      }
    }
  };

  check_round("olga");

  // Unsubscribe some, close others, subscribe some anew, open new ones.
  for (int i = 0; i < connections; ++i) {
    auto& p = probes[i];
    if (i % 4 == 0 && p.channels.contains("view:risks")) subscribe(p, "view:risks", false);
    if (i % 4 == 1 && p.channels.contains("notifications")) subscribe(p, "notifications", false);
    if (i % 7 == 3) p.ws.reset();  // closes the connection
    else if (i % 4 == 2) subscribe(p, "view:soa", true);
  }
  for (int i = 0; i < 8; ++i) {
    probe p;
    p.user = users[i % users.size()];
    p.ws = connect(p.user);
    ASSERT_NE(p.ws, nullptr);
    subscribe(p, i % 2 ? "notifications" : "view:risks", true);
    probes.push_back(std::move(p));
  }
  check_round("otto");
  check_round("olga");

  // Every connection unsubscribed: nothing reaches anyone.
  for (auto& p : probes) {
    if (!p.ws) continue;
    for (const auto& ch : std::set<std::string>(p.channels)) subscribe(p, ch, false);
  }
  check_round("otto");
}

TEST(ws_push, closing_a_users_connections_spares_other_users_and_a_new_connection_is_indexed_afresh) {
  test_server srv;
  const std::string mia = srv.add_user("mia", {"isms_manager"});
  const std::string ann = srv.add_user("ann", {"contributor"});
  auto connect = [&](const std::string& token) {
    return connect_as(srv, token);
  };
  std::vector<std::unique_ptr<ws_client>> anns, mias;
  for (int i = 0; i < 10; ++i) {
    anns.push_back(connect(ann));
    mias.push_back(connect(mia));
    ASSERT_NE(anns.back(), nullptr);
    ASSERT_NE(mias.back(), nullptr);
    ASSERT_TRUE(ok(mias.back()->request({{"op", "subscribe"}, {"channel", "view:risks"}})));
  }
  // Disabling ann closes her connections (1008) and only hers.
  auto admin = connect(login(srv.port(), "admin", test_server::admin_password));
  ASSERT_NE(admin, nullptr);
  auto r = admin->command("user.disable", "user-ann", {{"reason", "left the company"}});
  ASSERT_TRUE(ok(r)) << r->dump();
  for (auto& c : anns) {
    while (c->read(std::chrono::seconds(20))) {
    }
    EXPECT_EQ(c->close_code(), 1008);
  }
  const std::uint64_t position = (*r)["result"]["position"];
  for (auto& c : mias) {
    // The reply may come before the pushes are queued: wait for this one.
    bool seen = false;
    while (!seen) {
      auto p = c->wait_push("view:risks");
      ASSERT_TRUE(p) << "a connection of mia missed the push";
      seen = (*p)["data"].value("position", std::uint64_t{0}) == position;
    }
    EXPECT_TRUE(c->open());
  }
  // ann's closed connections left no trace in the index, and a notification
  // for olga reaches olga, not mia's connections that listen for their own.
  ASSERT_TRUE(ok(mias[0]->request({{"op", "subscribe"}, {"channel", "notifications"}})));
  auto fresh = connect(mia);
  ASSERT_NE(fresh, nullptr);
  ASSERT_TRUE(ok(fresh->request({{"op", "subscribe"}, {"channel", "notifications"}})));
  const std::string olga = srv.add_user("olga", {"risk_owner"});
  auto olgas = connect(olga);
  ASSERT_NE(olgas, nullptr);
  ASSERT_TRUE(ok(olgas->request({{"op", "subscribe"}, {"channel", "notifications"}})));
  auto assigned = mias[1]->command("risk.identify", "risk-R-1",
                                   {{"title", "t"}, {"asset", "a"}, {"threat", "t"}, {"vulnerability", "v"},
                                    {"owner", "olga"}, {"category", "people"}});
  ASSERT_TRUE(ok(assigned)) << assigned->dump();
  EXPECT_TRUE(olgas->wait_push("notifications"));
  for (auto* c : {mias[0].get(), fresh.get()}) {
    ASSERT_TRUE(ok(c->request({{"op", "ping"}})));
    for (auto& p : c->take_pushes()) EXPECT_NE(p.value("push", ""), "notifications") << p.dump();
  }
}

}  // namespace
}  // namespace isms::testing::ws_push_test
