// The command types the code declares (each command struct's static `type`,
// collected by command_types()) are exactly the rows of the authorization
// table, and exactly the commands the documentation lists with their roles:
// the role table of docs/domain.md ("## Authorization") and the command
// tables of docs/protocol.md (the "who may send" column).

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "isms/domain/authorization.hpp"
#include "isms/domain/dispatch.hpp"

#ifndef ISMS_SOURCE_DIR
#error "ISMS_SOURCE_DIR must name the source tree (the docs are read from it)"
#endif

namespace isms::domain::command_types_test {
namespace {

constexpr role every_role[] = {role::admin,       role::isms_manager,     role::top_management,   role::risk_owner,
                               role::contributor, role::internal_auditor, role::external_auditor, role::system};

using documented = std::map<std::string, std::set<role>>;

std::vector<std::string> read_lines(const std::string& relative) {
  std::ifstream in(std::string(ISMS_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(in) << "cannot read " << relative;
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> cells_of(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] != '|') {
      cell += line[i];
      continue;
    }
    const auto b = cell.find_first_not_of(' ');
    const auto e = cell.find_last_not_of(' ');
    out.push_back(b == std::string::npos ? std::string{} : cell.substr(b, e - b + 1));
    cell.clear();
  }
  return out;
}

std::string unquoted(const std::string& cell) { return cell.size() > 2 ? cell.substr(1, cell.size() - 2) : cell; }

std::set<role> roles_of_set(role_set s) {
  std::set<role> out;
  for (role r : every_role)
    if (contains(s, r)) out.insert(r);
  return out;
}

std::set<std::string> declared_types() {
  std::set<std::string> out;
  for (auto t : command_types()) EXPECT_TRUE(out.emplace(t).second) << t << " is declared twice";
  return out;
}

template <class Map>
std::set<std::string> keys_of(const Map& m) {
  std::set<std::string> out;
  for (const auto& [k, _] : m) out.insert(k);
  return out;
}

// docs/domain.md: "| command | admin | … |", one ✓ per role that may send.
documented domain_md_table() {
  documented out;
  const auto lines = read_lines("docs/domain.md");
  std::vector<role> columns;
  bool in_table = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    if (!in_table) {
      if (!line.starts_with("| command | admin |")) continue;
      const auto header = cells_of(line);
      for (std::size_t k = 1; k < header.size(); ++k)
        if (auto r = role_from_string(header[k])) columns.push_back(*r);
      in_table = true;
      ++i;  // | --- | :-: | …
      continue;
    }
    if (!line.starts_with("| `")) break;
    const auto cells = cells_of(line);
    std::set<role> ticked;
    for (std::size_t k = 1; k < cells.size() && k - 1 < columns.size(); ++k)
      if (cells[k] == "✓") ticked.insert(columns[k - 1]);
    EXPECT_TRUE(out.emplace(unquoted(cells.at(0)), ticked).second) << "docs/domain.md lists " << cells.at(0) << " twice";
  }
  return out;
}

// docs/protocol.md: "| `type` | `stream` | data | who may send | refused when |".
// The roles are named in the "who may send" cell; "system only" is the
// server itself; "as `other.type`" sends like that other command.
documented protocol_md_tables() {
  documented out;
  std::map<std::string, std::string> same_as;
  static const std::regex row(R"(^\| `[a-z_]+\.[a-z_]+` \| `)");
  static const std::regex as_other(R"(^as `([a-z_]+\.[a-z_]+)`)");
  for (const auto& line : read_lines("docs/protocol.md")) {
    if (!std::regex_search(line, row)) continue;
    const auto cells = cells_of(line);
    if (cells.size() < 4) {
      ADD_FAILURE() << "docs/protocol.md row too short: " << line;
      continue;
    }
    const std::string type = unquoted(cells[0]);
    const std::string& who = cells[3];
    std::smatch m;
    if (std::regex_search(who, m, as_other)) same_as[type] = m[1];
    std::set<role> named;
    for (role r : every_role)
      if (std::regex_search(who, std::regex("\\b" + std::string(to_string(r)) + "\\b"))) named.insert(r);
    if (who.find("system only") != std::string::npos) named.insert(role::system);
    EXPECT_TRUE(out.emplace(type, named).second) << "docs/protocol.md lists " << type << " twice";
  }
  for (const auto& [type, other] : same_as) {
    const auto it = out.find(other);
    EXPECT_NE(it, out.end()) << "docs/protocol.md: " << type << " refers to " << other << ", which it does not list";
    if (it != out.end()) out[type] = it->second;
  }
  return out;
}

void expect_lists_what_the_code_declares(const documented& doc, std::string_view where) {
  const auto declared = declared_types();
  for (const auto& t : declared)
    EXPECT_TRUE(doc.contains(t)) << t << " is declared in the code but not listed in " << where;
  for (const auto& [t, roles] : doc) {
    if (!declared.contains(t)) {
      ADD_FAILURE() << t << " is listed in " << where << " but no command struct declares it";
      continue;
    }
    EXPECT_EQ(roles, roles_of_set(*allowed_roles(t))) << t << ": the roles in " << where << " disagree with the code";
  }
}

TEST(CommandTypes, EveryDeclaredCommandHasOneAuthorizationRowAndARoute) {
  const auto declared = declared_types();
  std::set<std::string> rows;
  for (const auto& p : authorization_table()) EXPECT_TRUE(rows.emplace(p.command_type).second) << p.command_type;
  EXPECT_EQ(declared, rows);
  for (const auto& t : declared) {
    const route* r = route_for_command(t);
    ASSERT_NE(r, nullptr) << t << " has no route";
    EXPECT_TRUE(t.starts_with(std::string(r->command_prefix) + ".")) << t;
  }
}

TEST(CommandTypes, DocsDomainMdRoleTableListsExactlyTheDeclaredCommandsAndTheirRoles) {
  const auto doc = domain_md_table();
  ASSERT_FALSE(doc.empty()) << "no role table found in docs/domain.md";
  expect_lists_what_the_code_declares(doc, "docs/domain.md");
}

// The role table of docs/domain.md is written by the code, never by hand:
// it must be exactly authorization_table_markdown(). With ISMS_WRITE_DOCS=1
// in the environment this test writes the table into docs/domain.md instead
// (docs/architecture.md, "Add a command").
TEST(CommandTypes, DocsDomainMdRoleTableIsTheOneTheCodeWrites) {
  const std::string path = std::string(ISMS_SOURCE_DIR) + "/docs/domain.md";
  std::string text;
  {
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << "cannot read " << path;
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto begin = text.find("| command | admin |");
  ASSERT_NE(begin, std::string::npos) << "no role table found in docs/domain.md";
  auto end = begin;
  while (end < text.size() && text[end] == '|') {
    const auto eol = text.find('\n', end);
    end = eol == std::string::npos ? text.size() : eol + 1;
  }
  const std::string written = text.substr(begin, end - begin);
  const std::string generated = authorization_table_markdown();
  if (const char* w = std::getenv("ISMS_WRITE_DOCS"); w != nullptr && std::string(w) == "1") {
    text.replace(begin, end - begin, generated);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    return;
  }
  EXPECT_EQ(written, generated) << "docs/domain.md's role table differs from the code's; rewrite it with\n"
                                   "  ISMS_WRITE_DOCS=1 build/release/tests/domain/domain_tests "
                                   "--gtest_filter='CommandTypes.DocsDomainMd*'";
}

TEST(CommandTypes, DocsProtocolMdCommandTablesListExactlyTheDeclaredCommandsAndTheirRoles) {
  const auto doc = protocol_md_tables();
  ASSERT_FALSE(doc.empty()) << "no command table found in docs/protocol.md";
  expect_lists_what_the_code_declares(doc, "docs/protocol.md");
}

}  // namespace
}  // namespace isms::domain::command_types_test
