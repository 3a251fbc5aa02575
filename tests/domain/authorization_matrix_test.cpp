// The authorization matrix, generated from the table itself: every command
// type × every role (and no role at all), sent through the dispatcher. Where
// docs/domain.md ticks the role the gate lets the command through; everywhere
// else the answer is `forbidden` and nothing is written. A risk owner acting
// on someone else's risk is forbidden too, with every other rule satisfied.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "given.hpp"
#include "isms/domain/authorization.hpp"
#include "isms/domain/dispatch.hpp"

#ifndef ISMS_SOURCE_DIR
#error "ISMS_SOURCE_DIR must name the source tree (docs/domain.md is read from it)"
#endif

namespace isms::domain::authorization_matrix_test {
namespace {

using testing::in_memory_log;

constexpr role every_role[] = {role::admin,       role::isms_manager,     role::top_management,   role::risk_owner,
                               role::contributor, role::internal_auditor, role::external_auditor, role::system};

// The role × command table of docs/domain.md ("## Authorization"), as written.
struct documented_matrix {
  std::vector<role> columns;
  std::map<std::string, std::set<role>> rows;
};

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(' ');
  const auto e = s.find_last_not_of(' ');
  return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

std::vector<std::string> cells_of(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '|') {
      out.push_back(trim(cell));
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return out;
}

documented_matrix read_documented_matrix() {
  documented_matrix m;
  std::ifstream in(std::string(ISMS_SOURCE_DIR) + "/docs/domain.md");
  EXPECT_TRUE(in) << "cannot read docs/domain.md";
  std::string line;
  bool in_table = false;
  while (std::getline(in, line)) {
    if (!in_table) {
      if (!line.starts_with("| command | admin |")) continue;
      const auto header = cells_of(line);
      for (std::size_t i = 1; i < header.size(); ++i) {
        const auto& name = header[i];
        const auto r = role_from_string(name);
        EXPECT_TRUE(r.has_value()) << "docs/domain.md names an unknown role column '" << name << "'";
        if (r) m.columns.push_back(*r);
      }
      in_table = true;
      std::getline(in, line);  // | --- | :-: | …
      continue;
    }
    if (!line.starts_with("| `")) break;
    const auto cells = cells_of(line);
    std::string type = cells.at(0);
    type = type.substr(1, type.size() - 2);  // `risk.assess`
    std::set<role> ticked;
    for (std::size_t i = 1; i < cells.size() && i - 1 < m.columns.size(); ++i)
      if (cells[i] == "✓") ticked.insert(m.columns[i - 1]);
    EXPECT_EQ(cells.size(), m.columns.size() + 1) << "docs/domain.md row of " << type << " has the wrong width";
    EXPECT_TRUE(m.rows.emplace(type, ticked).second) << "docs/domain.md lists " << type << " twice";
  }
  return m;
}

// A stream of the command's aggregate, as the routing table names it.
std::string stream_for(std::string_view command_type) {
  const route* r = route_for_command(command_type);
  EXPECT_NE(r, nullptr) << command_type;
  if (r == nullptr) return "none-X";
  return std::string(r->stream_kind) + "-" + (r->singleton_id.empty() ? std::string("M-1") : std::string(r->singleton_id));
}

std::string name_of(const actor& a) {
  std::string roles;
  for (role r : a.roles) roles += (roles.empty() ? "" : ",") + std::string(to_string(r));
  return a.user_id + " (" + (roles.empty() ? "no role" : roles) + ")";
}

TEST(AuthorizationMatrix, TheTableAndDocsDomainMdAgreeCellByCell) {
  const auto doc = read_documented_matrix();
  ASSERT_FALSE(doc.rows.empty()) << "no authorization table found in docs/domain.md";
  EXPECT_EQ(doc.columns.size(), std::size(every_role)) << "docs/domain.md does not have a column per role";
  std::set<std::string> in_code;
  for (const auto& p : authorization_table()) {
    in_code.insert(std::string(p.command_type));
    const auto row = doc.rows.find(std::string(p.command_type));
    if (row == doc.rows.end()) {
      ADD_FAILURE() << p.command_type << " is in the table but not in docs/domain.md";
      continue;
    }
    for (role r : every_role)
      EXPECT_EQ(contains(p.allowed, r), row->second.contains(r))
          << p.command_type << " × " << to_string(r) << ": the table and docs/domain.md disagree";
  }
  for (const auto& [type, _] : doc.rows)
    EXPECT_TRUE(in_code.contains(type)) << type << " is in docs/domain.md but not in the table";
}

// Every row × every single role, and an actor with no role: forbidden exactly
// where the row does not hold the role, and nothing recorded then.
TEST(AuthorizationMatrix, EveryCommandTypeTimesEveryRoleThroughTheDispatcher) {
  const auto doc = read_documented_matrix();
  std::size_t allowed_cells = 0, forbidden_cells = 0;
  for (const auto& p : authorization_table()) {
    const std::string type(p.command_type);
    const std::string stream = stream_for(type);
    const auto documented = doc.rows.find(type);
    std::vector<actor> actors;
    for (role r : every_role) actors.push_back(actor{"u-" + std::string(to_string(r)), {r}});
    actors.push_back(actor{"u-none", {}});
    for (const auto& who : actors) {
      in_memory_log log;
      testing::register_users(log);
      const std::size_t before = log.size();
      const command_context ctx{who, testing::at(testing::now), "matrix-1"};
      // An empty payload: the gate answers before any payload check does.
      const auto d = log.run(type, stream, json::object(), ctx);
      const bool by_docs = documented != doc.rows.end() && !who.roles.empty() &&
                           documented->second.contains(who.roles.front());
      if (by_docs) {
        ++allowed_cells;
        EXPECT_TRUE(d.has_value() || d.error().kind != rejection_kind::forbidden)
            << type << " by " << name_of(who) << " is allowed by docs/domain.md but was refused: "
            << d.error().message;
      } else {
        ++forbidden_cells;
        ASSERT_FALSE(d.has_value()) << type << " by " << name_of(who) << " went through";
        EXPECT_EQ(d.error().kind, rejection_kind::forbidden)
            << type << " by " << name_of(who) << ": " << d.error().message;
        EXPECT_EQ(log.size(), before) << type << " by " << name_of(who) << " wrote something";
      }
    }
  }
  // Every command has someone who may send it, and the matrix is mostly "no".
  EXPECT_GE(allowed_cells, authorization_table().size());
  EXPECT_GT(forbidden_cells, allowed_cells);
}

// With a well-formed payload in the right state, a forbidden role is still
// forbidden: the gate is not a side effect of a payload check failing first.
TEST(AuthorizationMatrix, AWellFormedCommandFromAForbiddenRoleIsForbiddenAndWritesNothing) {
  in_memory_log log;
  testing::register_users(log);
  const json identify{{"title", "Ransomware on file servers"}, {"asset", "file servers"}, {"threat", "ransomware"},
                      {"vulnerability", "unpatched SMB"},      {"owner", "olga"},         {"category", "operations"}};
  for (role r : every_role) {
    if (contains(*allowed_roles("risk.identify"), r)) continue;
    const command_context ctx{actor{"x", {r}}, testing::at(testing::now), "m"};
    const auto before = log.size();
    const auto d = log.run("risk.identify", "risk-R-9", identify, ctx);
    ASSERT_FALSE(d.has_value()) << to_string(r);
    EXPECT_EQ(d.error().kind, rejection_kind::forbidden) << to_string(r);
    EXPECT_EQ(log.size(), before);
  }
  EXPECT_TRUE(log.run("risk.identify", "risk-R-9", identify, testing::manager()));
}

// A risk owner acts on their own risks only (docs/domain.md: "the risk's
// owner", "risk_owner (own risks)"): every command the table gives the risk
// owner on a risk is forbidden on someone else's, with every other rule met,
// and the owner's own request then succeeds.
TEST(AuthorizationMatrix, ARiskOwnerActingOnSomeoneElsesRiskIsForbidden) {
  in_memory_log log;
  testing::register_users(log);
  const command_context olga{actor{"olga", {role::risk_owner}}, testing::at(testing::now), "o"};
  const command_context otto{actor{"otto", {role::risk_owner}}, testing::at(testing::now), "t"};
  const std::string stream = "risk-R-1";
  const json identify{{"title", "Ransomware on file servers"}, {"asset", "file servers"}, {"threat", "ransomware"},
                      {"vulnerability", "unpatched SMB"},      {"owner", "olga"},         {"category", "operations"}};
  const json assess{{"likelihood", 4}, {"impact", 4}, {"rationale", "seen twice last year"}};
  const json plan{{"option", "modify"},      {"controls", {"8.7", "8.8"}}, {"actions", "EDR and monthly patching"},
                  {"target_likelihood", 3}, {"target_impact", 4},        {"due", "2026-06-30"}};
  const json implemented{{"evidence", "EDR rolled out, patch reports attached"}};
  // The file servers in the asset inventory, for the link.
  ASSERT_TRUE(log.run("asset.register", "asset-A-1",
                      {{"asset_id", "A-1"}, {"name", "File servers"}, {"type", "hardware"}, {"owner", "olga"},
                       {"classification", "internal"}, {"location", "server room"}},
                      testing::manager()));
  const json link{{"asset_ids", {"A-1"}}, {"reason", "the file servers are A-1 in the inventory"}};
  const std::vector<std::pair<std::string, json>> steps{{"risk.identify", identify},
                                                        {"risk.assess", assess},
                                                        {"risk.plan_treatment", plan},
                                                        {"risk.record_treatment_implemented", implemented},
                                                        {"risk.link_assets", link}};
  // Every risk-stream command the table gives risk_owner is exercised here.
  std::set<std::string> covered;
  for (const auto& [type, _] : steps) covered.insert(type);
  for (const auto& p : authorization_table())
    if (p.command_type.starts_with("risk.") && contains(p.allowed, role::risk_owner)) {
      EXPECT_TRUE(covered.contains(std::string(p.command_type))) << p.command_type << " is not exercised";
    }

  for (const auto& [type, data] : steps) {
    const auto before = log.size();
    const auto refused = log.run(type, stream, data, otto);
    ASSERT_FALSE(refused.has_value()) << type << " by otto went through";
    EXPECT_EQ(refused.error().kind, rejection_kind::forbidden) << type << ": " << refused.error().message;
    EXPECT_EQ(log.size(), before) << type << " by otto wrote something";
    const auto done = log.run(type, stream, data, olga);
    ASSERT_TRUE(done.has_value()) << type << " by olga: " << done.error().message;
  }
}

}  // namespace
}  // namespace isms::domain::authorization_matrix_test
