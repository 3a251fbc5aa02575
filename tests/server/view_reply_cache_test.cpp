// View replies at the current position are serialized once and shared
// (ws_api_options::view_reply_cache_bytes) only between viewers who are
// entitled to the same answer; a reply never outlives its position.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::view_reply_cache_test {
namespace {

TEST(view_reply_cache, viewers_entitled_to_different_answers_never_share_one) {
  test_server srv;
  auto mia = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  auto olga = connect_as(srv, srv.add_user("olga", {"risk_owner"}));
  auto otto = connect_as(srv, srv.add_user("otto", {"risk_owner"}));
  auto ann = connect_as(srv, srv.add_user("ann", {"contributor"}));
  risk_awaiting_olga(*mia, srv);

  // The inbox is each user's own, at one and the same position: otto asks
  // first, then olga, then otto again.
  auto otto_inbox = otto->query("inbox");
  auto olga_inbox = olga->query("inbox");
  auto otto_again = otto->query("inbox");
  ASSERT_TRUE(ok(otto_inbox) && ok(olga_inbox) && ok(otto_again));
  EXPECT_EQ((*otto_inbox)["result"]["position"], (*olga_inbox)["result"]["position"]);
  EXPECT_EQ((*olga_inbox)["result"]["data"]["user_id"], "olga");
  EXPECT_NE((*olga_inbox)["result"]["data"].dump().find("risk-R-2"), std::string::npos);
  EXPECT_EQ((*otto_inbox)["result"]["data"]["user_id"], "otto");
  EXPECT_EQ((*otto_inbox)["result"]["data"].dump().find("risk-R-2"), std::string::npos);
  EXPECT_EQ((*otto_again)["result"], (*otto_inbox)["result"]);

  // Contact details: the contributor asks first and sees none; the ISMS
  // manager then sees them; the contributor still does not.
  auto ann_users = ann->query("users");
  auto mia_users = mia->query("users");
  auto ann_again = ann->query("users");
  ASSERT_TRUE(ok(ann_users) && ok(mia_users) && ok(ann_again));
  EXPECT_EQ((*ann_users)["result"]["data"].dump().find("\"email\""), std::string::npos);
  EXPECT_EQ((*ann_again)["result"]["data"].dump().find("\"email\""), std::string::npos);
  EXPECT_NE((*mia_users)["result"]["data"].dump().find("\"email\""), std::string::npos)
      << (*mia_users)["result"]["data"].dump();
}

TEST(view_reply_cache, a_shared_answer_echoes_each_requests_id_and_moves_on_with_the_position) {
  test_server srv;
  auto mia = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  auto olga = connect_as(srv, srv.add_user("olga", {"risk_owner"}));
  risk_awaiting_olga(*mia, srv);

  // Same view, same parameters, same position: the same result, each with its own id.
  mia->send_text(R"({"id": 41, "op": "query", "view": "risks"})");
  auto numeric = mia->next_reply();
  olga->send_text(R"({"id": "q-olga", "op": "query", "view": "risks"})");
  auto text = olga->next_reply();
  ASSERT_TRUE(ok(numeric) && ok(text));
  EXPECT_EQ((*numeric)["id"], 41);
  EXPECT_EQ((*text)["id"], "q-olga");
  EXPECT_EQ((*numeric)["result"], (*text)["result"]);

  // Other parameters: another answer.
  auto one = olga->query("risks", {{"limit", 1}});
  ASSERT_TRUE(ok(one));
  EXPECT_EQ((*one)["result"]["data"]["risks"].size(), 1u);

  // A new event: the next answer is at the new position and shows it.
  auto r = mia->command("risk.identify", "risk-R-3",
                        {{"title", "Flood"}, {"asset", "Depot"}, {"threat", "Flood"}, {"vulnerability", "Low ground"},
                         {"owner", "olga"}, {"category", "physical"}});
  ASSERT_TRUE(ok(r)) << r->dump();
  srv.app().settle();
  auto after = olga->query("risks");
  ASSERT_TRUE(ok(after));
  EXPECT_GT((*after)["result"]["position"].get<std::uint64_t>(), (*text)["result"]["position"].get<std::uint64_t>());
  EXPECT_NE((*after)["result"]["data"].dump().find("risk-R-3"), std::string::npos);
}

// What the cache relies on: the views it shares between every viewer answer
// alike to viewers as different as an auditor and an ISMS manager. Checked
// with the cache off, so that each answer is computed for its own viewer.
TEST(view_reply_cache, the_views_shared_by_everyone_answer_alike_to_every_viewer) {
  test_server srv([](server::server_config& c) { c.ledger.ws.view_reply_cache_bytes = 0; });
  auto mia = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  auto ian = connect_as(srv, srv.add_user("ian", {"internal_auditor"}));
  auto ann = connect_as(srv, srv.add_user("ann", {"contributor"}));
  srv.add_user("olga", {"risk_owner"});
  risk_awaiting_olga(*mia, srv);
  for (const std::string view : {"risks", "soa", "objectives", "nonconformities", "approvals", "documents", "audits",
                                 "reviews", "scope", "activity", "due"}) {
    auto a = mia->query(view);
    auto b = ian->query(view);
    auto c = ann->query(view);
    ASSERT_TRUE(a && b && c) << view;
    EXPECT_EQ((*a)["result"], (*b)["result"]) << view;
    EXPECT_EQ((*a)["result"], (*c)["result"]) << view;
    EXPECT_EQ((*a)["error"], (*c)["error"]) << view;
  }
  const json risk_params{{"id", "R-2"}};
  auto a = mia->query("risk", risk_params);
  auto c = ann->query("risk", risk_params);
  ASSERT_TRUE(ok(a) && ok(c));
  EXPECT_EQ((*a)["result"], (*c)["result"]);
}

// Each entity carries the command types its state admits, from the
// aggregate's own rule; the list depends on the entity alone, so a reply
// shared between a risk owner and the ISMS manager is right for both (each
// client intersects it with its session's `may`).
TEST(view_reply_cache, each_entity_lists_what_its_state_admits_alike_for_every_viewer) {
  test_server srv;
  auto mia = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  auto olga = connect_as(srv, srv.add_user("olga", {"risk_owner"}));
  risk_awaiting_olga(*mia, srv);
  const json pending = json::array({"risk.assess", "risk.plan_treatment", "risk.change_owner", "risk.retire"});
  auto one = olga->query("risk", {{"id", "R-2"}});
  ASSERT_TRUE(ok(one));
  EXPECT_EQ((*one)["result"]["data"]["state"], "acceptance_requested");
  EXPECT_EQ((*one)["result"]["data"]["allowed_commands"], pending) << "no second request while one is pending";
  auto list = mia->query("risks");
  ASSERT_TRUE(ok(list));
  EXPECT_EQ((*list)["result"]["data"]["risks"][0]["allowed_commands"], pending);

  ASSERT_TRUE(ok(mia->command("risk.retire", "risk-R-2", {{"reason", "supplier replaced"}})));
  srv.app().settle();
  auto retired = olga->query("risk", {{"id", "R-2"}});
  ASSERT_TRUE(ok(retired));
  EXPECT_EQ((*retired)["result"]["data"]["allowed_commands"], json::array()) << "a retired risk takes no command";

  ASSERT_TRUE(ok(mia->command("document.draft", "document-POL-1",
                              {{"document_id", "POL-1"}, {"kind", "policy"}, {"title", "Security policy"},
                               {"owner", "mia"}, {"classification", "internal"}, {"review_interval_months", 12},
                               {"text", "We protect what customers entrust to us."}})));
  srv.app().settle();
  auto doc = olga->query("document", {{"id", "POL-1"}});
  ASSERT_TRUE(ok(doc));
  EXPECT_EQ((*doc)["result"]["data"]["allowed_commands"],
            json::array({"document.revise", "document.request_approval", "document.retire"}));
  auto docs = mia->query("documents");
  ASSERT_TRUE(ok(docs));
  EXPECT_EQ((*docs)["result"]["data"]["documents"][0]["allowed_commands"], (*doc)["result"]["data"]["allowed_commands"]);
}

}  // namespace
}  // namespace isms::testing::view_reply_cache_test
