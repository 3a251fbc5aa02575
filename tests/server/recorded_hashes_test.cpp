// Every hash the domain records is recomputable from the auditor's NDJSON
// export with the documented rules (docs/eventstore.md, "Canonical JSON"):
// a management review's pack_sha256 from the exported pack, a document
// version's content_sha256 from its exported text, and an approval request's
// content hash from the subject's exported events. The pack carries integral
// and fractional floats on purpose: the documented form writes 80.0 as 80.

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <vector>

#include "isms/canonical/canonical.hpp"
#include "isms/domain/document.hpp"
#include "isms/eventstore/store.hpp"
#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::recorded_hashes_test {
namespace {

// The documented rules, spelled out here rather than taken from the domain:
// SHA-256 (lowercase hex) of the canonical JSON text of the exported value.
std::string documented_hash(const json& exported) {
  auto text = canonical::json_text(exported);
  EXPECT_TRUE(text.has_value());
  return canonical::sha256_hex(text.value_or(""));
}

json review_pack() {
  return {{"previous_actions", json::array()},
          {"issue_changes", {{"added", 2}, {"removed", 0}}},
          {"interested_party_changes", json::array({"regulator"})},
          {"security_performance", {{"objectives_met_percent", 80.0}, {"nonconformities_closed_ratio", 0.1},
                                    {"incidents", 3}}},
          {"interested_party_feedback", "none received"},
          {"risk_assessment", {{"above_appetite", 1}, {"average_level", 9.5}}},
          {"improvement_opportunities", json::array({"automate access reviews"})}};
}

class recorded_hashes : public ::testing::Test {
 protected:
  void SetUp() override {
    manager_token = srv.add_user("manager", {"isms_manager"});
    srv.add_user("chair", {"top_management"});
    auditor_token = srv.add_user("auditor", {"external_auditor"});
    manager = connect_as(srv, manager_token);
    ASSERT_NE(manager, nullptr);
  }

  // The whole log as the auditor downloads it.
  std::vector<json> export_lines() {
    auto r = http_call(srv.port(), "GET", "/api/events?from=1&limit=1000", {},
                       {{"authorization", "Bearer " + auditor_token}});
    EXPECT_EQ(r.status, 200u) << r.body;
    std::vector<json> lines;
    std::istringstream in(r.body);
    for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
    return lines;
  }

  test_server srv;
  std::string manager_token, auditor_token;
  std::unique_ptr<ws_client> manager;
};

TEST_F(recorded_hashes, each_kind_is_recomputed_from_the_export_with_the_documented_rules) {
  ASSERT_TRUE(ok(manager->command("review.schedule", "review-MR-1",
                                  {{"review_id", "MR-1"}, {"planned_on", "2099-01-15"}, {"chair", "chair"},
                                   {"interval_months", 12}})));
  ASSERT_TRUE(ok(manager->command("review.assemble_inputs", "review-MR-1", {{"pack", review_pack()}})));

  const std::string text = "Information security policy\n\n1. Scope … ü ✓\n";
  ASSERT_TRUE(ok(manager->command("document.draft", "document-POL-1",
                                  {{"document_id", "POL-1"}, {"kind", "policy"}, {"title", "Security policy"},
                                   {"owner", "manager"}, {"classification", "internal"},
                                   {"review_interval_months", 12}, {"text", text}})));
  ASSERT_TRUE(ok(manager->command("document.request_approval", "document-POL-1", json::object())));

  int packs = 0, texts = 0, approvals = 0;
  std::vector<domain::recorded_event> document_events;
  for (const auto& line : export_lines()) {
    // The export line re-verifies on its own (payload digest and chain hash).
    auto e = eventstore::from_export_json(line);
    ASSERT_TRUE(e) << e.error().message;
    const std::string type = line.at("type");
    const json& data = line.at("data");
    if (type == "review.inputs_assembled.v1") {
      EXPECT_EQ(data.at("pack_sha256"), documented_hash(data.at("pack"))) << line.dump();
      ++packs;
    }
    if (type == "document.drafted.v1" || type == "document.revised.v1") {
      EXPECT_EQ(data.at("content_sha256"), canonical::sha256_hex(data.at("text").get<std::string>()));
      ++texts;
    }
    if (line.at("stream") == "document-POL-1") {
      if (type == "document.approval_requested.v1") {
        // What was approved: the subject as its exported events leave it.
        auto s = domain::document::initial_state();
        for (const auto& before : document_events) {
          auto ev = domain::document::decode(before.type, before.data);
          ASSERT_TRUE(ev) << ev.error();
          s = domain::document::evolve(std::move(s), *ev);
        }
        EXPECT_EQ(data.at("approval").at("content_hash"), documented_hash(domain::document::approval_content(s)));
        ++approvals;
      }
      document_events.push_back({line.at("position"), line.at("stream"), line.at("version"), type, data, {}});
    }
  }
  EXPECT_EQ(packs, 1);
  EXPECT_EQ(texts, 1);
  EXPECT_EQ(approvals, 1);
}

}  // namespace
}  // namespace isms::testing::recorded_hashes_test
