// The request/reply examples of docs/protocol.md and docs/views.md against
// the answers of a real ismsd (on 127.0.0.1, port 0) holding the demo ISMS.
//
// Which examples are checked, and how, is marked on their Markdown fences
// (docs/protocol.md, "Examples that are checked"):
//   ```ws as=USER       a transcript: each `→` request is sent as USER, each
//                       `←` reply is compared with the real reply to the
//                       request with the same id, each `←` push with the next
//                       push on its channel
//   ```json view=NAME [as=USER] [params=JSON]
//                       the shape of `result.data` of a query of view NAME
// Unmarked fences are illustrations and are not run.

#include <gtest/gtest.h>

#include <csignal>
#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "support/client.hpp"
#include "support/ismsd_process.hpp"

#ifndef ISMS_DOCS_DIR
#error "ISMS_DOCS_DIR must name the docs folder"
#endif

namespace isms::testing::docs_examples_test {
namespace {

// ---- the examples' JSON, with the documents' ellipses ----------------------
//
// An example is JSON in which "…" may stand for what is left out:
//   {…} [… ]      any object, any array
//   a bare …      as an entry or member: more of the same may follow
//   "…", "a …"    a string containing … stands for any string
//   null          any value (a member that may be null)
// and an object of an example may be null in the answer (one not set).

struct doc_value {
  enum class kind { object, array, string, number, boolean, null, any_string };
  kind k = kind::null;
  std::vector<std::pair<std::string, doc_value>> members;
  std::vector<doc_value> items;
  json literal;  // string, number or boolean as written
};

class doc_parser {
 public:
  explicit doc_parser(std::string_view text) : s_(text) {}

  doc_value parse() {
    doc_value v = value();
    skip_ws();
    if (i_ != s_.size()) fail("text after the value");
    return v;
  }

 private:
  static constexpr std::string_view ellipsis = "…";

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(what + " at offset " + std::to_string(i_) + ": \"" +
                             std::string(s_.substr(i_, 40)) + "\"");
  }
  void skip_ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool at_ellipsis() const { return s_.substr(i_).starts_with(ellipsis); }
  // A bare … (possibly "…same shape…"): everything up to the next , } or ].
  void skip_bare_ellipsis() {
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']') ++i_;
  }
  void expect(char c) {
    skip_ws();
    if (i_ >= s_.size() || s_[i_] != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }

  doc_value value() {
    skip_ws();
    if (i_ >= s_.size()) fail("unexpected end");
    const char c = s_[i_];
    if (c == '{') return object();
    if (c == '[') return array();
    if (c == '"') {
      const std::string text = string();
      doc_value v;
      v.k = text.find(ellipsis) != std::string::npos ? doc_value::kind::any_string : doc_value::kind::string;
      v.literal = text;
      return v;
    }
    // true, false, null or a number: let nlohmann read the token.
    std::size_t end = i_;
    while (end < s_.size() && std::string_view(",}] \n\t\r").find(s_[end]) == std::string_view::npos) ++end;
    const json token = json::parse(s_.substr(i_, end - i_), nullptr, false);
    if (token.is_discarded()) fail("not a JSON value");
    i_ = end;
    doc_value v;
    v.literal = token;
    v.k = token.is_null() ? doc_value::kind::null
          : token.is_boolean() ? doc_value::kind::boolean
                               : doc_value::kind::number;
    return v;
  }

  std::string string() {
    const std::size_t start = i_++;
    while (i_ < s_.size() && s_[i_] != '"') i_ += s_[i_] == '\\' ? 2 : 1;
    if (i_ >= s_.size()) fail("unterminated string");
    ++i_;
    return json::parse(s_.substr(start, i_ - start)).get<std::string>();
  }

  doc_value object() {
    doc_value v;
    v.k = doc_value::kind::object;
    ++i_;
    for (;;) {
      skip_ws();
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return v;
      }
      if (at_ellipsis()) {
        skip_bare_ellipsis();
      } else {
        if (i_ >= s_.size() || s_[i_] != '"') fail("expected a member name");
        std::string name = string();
        expect(':');
        v.members.emplace_back(std::move(name), value());
      }
      skip_ws();
      if (i_ < s_.size() && s_[i_] == ',') ++i_;
      else if (i_ >= s_.size() || s_[i_] != '}') fail("expected ',' or '}'");
    }
  }

  doc_value array() {
    doc_value v;
    v.k = doc_value::kind::array;
    ++i_;
    for (;;) {
      skip_ws();
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        return v;
      }
      if (at_ellipsis()) skip_bare_ellipsis();
      else v.items.push_back(value());
      skip_ws();
      if (i_ < s_.size() && s_[i_] == ',') ++i_;
      else if (i_ >= s_.size() || s_[i_] != ']') fail("expected ',' or ']'");
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// ---- comparing an example with a real answer ------------------------------
//
// Shapes: every member the example shows is in the answer, with the same JSON
// type (the answer may hold more); each entry an example array shows matches
// some entry of the answer (not checked when the answer's array is empty).
// Values, in transcripts only: strings and booleans as written; numbers
// (positions, versions, counts) by type only; a date ("2026-03-02") or an
// instant stands for any of its form. In view shapes the values are made up:
// only the types count.

enum class compare { shape, values };

// A form: 'd' a digit, any other character itself; an instant's fraction of
// a second is optional. (No std::regex: GCC 12 warns inside it under ASan.)
bool fits(std::string_view text, std::string_view form) {
  if (text.size() != form.size()) return false;
  for (std::size_t i = 0; i < form.size(); ++i)
    if (form[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(text[i])) : text[i] != form[i]) return false;
  return true;
}
bool is_date(std::string_view t) { return fits(t, "dddd-dd-dd"); }
bool is_instant(std::string_view t) {
  return fits(t, "dddd-dd-ddTdd:dd:ddZ") || fits(t, "dddd-dd-ddTdd:dd:dd.dddZ");
}

void match(const doc_value& doc, const json& real, const std::string& path, compare how,
           std::vector<std::string>& problems) {
  const auto problem = [&](const std::string& what) { problems.push_back(path + ": " + what); };
  switch (doc.k) {
    case doc_value::kind::null:
      return;
    case doc_value::kind::any_string:
      if (!real.is_string()) problem("a string in the docs, " + real.dump() + " in the answer");
      return;
    case doc_value::kind::string:
      if (!real.is_string()) return problem("a string in the docs, " + real.dump() + " in the answer");
      if (how == compare::values) {
        const std::string& text = doc.literal.get_ref<const std::string&>();
        const std::string& got = real.get_ref<const std::string&>();
        if (is_date(text) ? !is_date(got) : is_instant(text) ? !is_instant(got) : text != got)
          problem("\"" + text + "\" in the docs, " + real.dump() + " in the answer");
      }
      return;
    case doc_value::kind::number:
      if (!real.is_number()) problem("a number in the docs, " + real.dump() + " in the answer");
      return;
    case doc_value::kind::boolean:
      if (!real.is_boolean()) return problem("a boolean in the docs, " + real.dump() + " in the answer");
      if (how == compare::values && real != doc.literal)
        problem(doc.literal.dump() + " in the docs, " + real.dump() + " in the answer");
      return;
    case doc_value::kind::object:
      if (real.is_null()) return;  // an object not set ("effective": null until …)
      if (!real.is_object()) return problem("an object in the docs, " + real.dump().substr(0, 80) + " in the answer");
      for (const auto& [name, member] : doc.members) {
        const auto it = real.find(name);
        if (it == real.end()) {
          problem("member \"" + name + "\" is in the docs, not in the answer");
          continue;
        }
        match(member, *it, path + "/" + name, how, problems);
      }
      return;
    case doc_value::kind::array:
      if (!real.is_array()) return problem("an array in the docs, " + real.dump().substr(0, 80) + " in the answer");
      for (std::size_t i = 0; i < doc.items.size(); ++i) {
        if (real.empty()) break;
        // The entry of the answer that matches best (fewest problems).
        std::vector<std::string> best;
        bool first = true;
        for (const auto& entry : real) {
          std::vector<std::string> found;
          match(doc.items[i], entry, path + "/" + std::to_string(i), how, found);
          if (first || found.size() < best.size()) best = std::move(found);
          first = false;
          if (best.empty()) break;
        }
        problems.insert(problems.end(), best.begin(), best.end());
      }
      return;
  }
}

// ---- the marked examples of a document -------------------------------------

struct example {
  std::string where;  // "docs/views.md:51"
  std::map<std::string, std::string> marks;  // the fence's words: view=risks → {"view", "risks"}
  std::string kind;   // "ws" or "json"
  std::string text;
};

std::vector<example> marked_examples(const std::string& name) {
  std::ifstream in(std::string(ISMS_DOCS_DIR) + "/" + name);
  if (!in) throw std::runtime_error("cannot read docs/" + name);
  std::vector<example> out;
  std::string line;
  int number = 0;
  std::optional<example> open;
  bool in_fence = false;
  while (std::getline(in, line)) {
    ++number;
    if (line.starts_with("```")) {
      if (in_fence) {
        if (open) out.push_back(std::move(*open));
        open.reset();
        in_fence = false;
        continue;
      }
      in_fence = true;
      std::istringstream words(line.substr(3));
      std::string kind, word;
      words >> kind;
      example e;
      e.where = "docs/" + name + ":" + std::to_string(number);
      e.kind = kind;
      // params=JSON may hold spaces: the rest of the line after "params=".
      const auto params_at = line.find(" params=");
      std::istringstream marks(line.substr(3, params_at == std::string::npos ? std::string::npos : params_at - 3));
      marks >> word;  // the kind again
      while (marks >> word)
        if (const auto eq = word.find('='); eq != std::string::npos) e.marks[word.substr(0, eq)] = word.substr(eq + 1);
      if (params_at != std::string::npos) e.marks["params"] = line.substr(params_at + 8);
      if (kind == "ws" || (kind == "json" && e.marks.contains("view"))) open = std::move(e);
      continue;
    }
    if (open) open->text += line + "\n";
  }
  return out;
}

// A transcript's messages: "→ …" and "← …" with their continuation lines.
std::vector<std::pair<bool, std::string>> messages_of(const std::string& text) {
  std::vector<std::pair<bool, std::string>> out;  // (is a request, text)
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("→")) out.emplace_back(true, line.substr(std::string_view("→").size()));
    else if (line.starts_with("←")) out.emplace_back(false, line.substr(std::string_view("←").size()));
    else if (!out.empty()) out.back().second += "\n" + line;
  }
  return out;
}

// ---- the server ------------------------------------------------------------

constexpr const char* admin_password = "docs-admin-password";
constexpr const char* password_prefix = "docs-";

class DocsExamples : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(make_temp_dir("ismsd-docs"));
    child_ = new ismsd_child(spawn_ismsd(*dir_, admin_password, {"--demo", "--password-prefix", password_prefix}));
  }
  static void TearDownTestSuite() {
    for (auto& [_, c] : *clients_) c.reset();
    if (child_->pid > 0) {
      ::kill(child_->pid, SIGTERM);
      wait_exit(child_->pid);
    }
    remove_data_dir(*dir_);
    delete child_;
    delete dir_;
  }
  void SetUp() override { ASSERT_NE(child_->port, 0) << "ismsd --demo did not start:\n" << child_->output; }

  static ws_client& client_of(const std::string& user) {
    auto& c = (*clients_)[user];
    if (!c) {
      // The demo gives every user, admin included, the prefix and their id.
      const std::string token = login(child_->port, user, password_prefix + user);
      if (token.empty()) throw std::runtime_error("cannot sign in as " + user);
      ws_client::options o;
      o.bearer = token;
      c = ws_client::connect(child_->port, o);
      if (!c) throw std::runtime_error("no WebSocket for " + user);
    }
    return *c;
  }

  // The reply to `request` (sent as it is, its own id kept); pushes read
  // meanwhile are kept for push_on.
  static std::optional<json> send(ws_client& c, const json& request) {
    c.send_text(request.dump());
    for (;;) {
      const auto text = c.read();
      if (!text) return std::nullopt;
      json m = json::parse(*text, nullptr, false);
      if (m.contains("push")) {
        (*pushes_)[m["push"].get<std::string>()].push_back(std::move(m));
        continue;
      }
      if (m.value("id", json()) == request.at("id")) return m;
    }
  }

  static inline std::filesystem::path* dir_ = nullptr;
  static inline ismsd_child* child_ = nullptr;
  static inline auto* clients_ = new std::map<std::string, std::unique_ptr<ws_client>>();
  static inline auto* pushes_ = new std::map<std::string, std::vector<json>>();
};

void check_transcript(const example& e, const std::function<ws_client&(const std::string&)>& client_of,
                      const std::function<std::optional<json>(ws_client&, const json&)>& send) {
  SCOPED_TRACE(e.where);
  ASSERT_TRUE(e.marks.contains("as")) << "a ws example names its user: ```ws as=USER";
  ws_client& c = client_of(e.marks.at("as"));
  std::vector<std::pair<json, json>> sent;  // (request, reply), in order
  std::vector<bool> compared;
  for (const auto& [is_request, text] : messages_of(e.text)) {
    if (is_request) {
      const json request = json::parse(text, nullptr, false);
      ASSERT_FALSE(request.is_discarded()) << "a request of a checked example must be plain JSON:" << text;
      const auto reply = send(c, request);
      ASSERT_TRUE(reply.has_value()) << "no reply to " << text;
      sent.emplace_back(request, *reply);
      compared.push_back(false);
      continue;
    }
    doc_value expected;
    try {
      expected = doc_parser(text).parse();
    } catch (const std::exception& x) {
      FAIL() << "cannot read the reply " << text << ": " << x.what();
    }
    json real;
    const auto id = std::find_if(expected.members.begin(), expected.members.end(),
                                 [](const auto& m) { return m.first == "id"; });
    const auto push = std::find_if(expected.members.begin(), expected.members.end(),
                                   [](const auto& m) { return m.first == "push"; });
    if (push != expected.members.end()) {
      FAIL() << "pushes are not checked yet: " << text;
    } else {
      ASSERT_NE(id, expected.members.end()) << "a reply without an id: " << text;
      std::size_t i = 0;
      while (i < sent.size() && (compared[i] || sent[i].first.at("id") != id->second.literal)) ++i;
      ASSERT_LT(i, sent.size()) << "no request with the id of " << text;
      compared[i] = true;
      real = sent[i].second;
    }
    std::vector<std::string> problems;
    match(expected, real, "", compare::values, problems);
    EXPECT_TRUE(problems.empty()) << "the example\n" << text << "\ndisagrees with the server's answer\n"
                                  << real.dump().substr(0, 2000) << "\n" << ::testing::PrintToString(problems);
  }
}

TEST_F(DocsExamples, every_marked_transcript_of_protocol_and_views_gets_the_documented_answers) {
  std::size_t checked = 0;
  for (const char* name : {"protocol.md", "views.md"})
    for (const auto& e : marked_examples(name))
      if (e.kind == "ws") {
        check_transcript(e, client_of, send);
        ++checked;
      }
  EXPECT_GE(checked, 9u) << "the marked transcripts went missing";
}

TEST_F(DocsExamples, every_view_shape_of_views_md_is_the_shape_of_the_answers_data) {
  std::set<std::string> views;
  const auto check = [&](const example& e) {
    SCOPED_TRACE(e.where);
    const std::string& view = e.marks.at("view");
    views.insert(view);
    json params = json::object();
    if (e.marks.contains("params")) params = json::parse(e.marks.at("params"));
    ws_client& c = client_of(e.marks.contains("as") ? e.marks.at("as") : "mara.hansen");
    const auto reply = send(c, json{{"id", "shape-" + view}, {"op", "query"}, {"view", view}, {"params", params}});
    ASSERT_TRUE(reply && reply->value("ok", false)) << (reply ? reply->dump() : "no reply");
    ASSERT_TRUE(reply->at("result").contains("data")) << reply->dump().substr(0, 300);
    doc_value expected;
    try {
      expected = doc_parser(e.text).parse();
    } catch (const std::exception& x) {
      FAIL() << "cannot read the example: " << x.what();
    }
    std::vector<std::string> problems;
    match(expected, reply->at("result").at("data"), "", compare::shape, problems);
    EXPECT_TRUE(problems.empty()) << "the shape of view " << view << " disagrees with the server's answer:\n"
                                  << ::testing::PrintToString(problems);
  };
  for (const auto& e : marked_examples("views.md"))
    if (e.kind == "json") check(e);
  // Every view of the server has its shape in views.md.
  for (const char* v : {"risks", "risk", "soa", "objectives", "nonconformities", "nonconformity", "inbox", "approvals",
                        "documents", "audits", "reviews", "review_pack", "scope", "users", "activity", "due", "evidence"})
    EXPECT_TRUE(views.contains(v)) << "no ```json view=" << v << " example in docs/views.md";
}

// The comparison itself: an example that disagrees with an answer is caught.
TEST(DocsExampleMatch, a_member_outside_data_or_a_wrong_type_or_value_is_a_disagreement) {
  const json answer = json::parse(R"({"id":"8","ok":true,"result":{"view":"risks","position":12,
      "data":{"view":"risks","position":12,"as_of":"2026-03-02T09:00:00.000Z","today":"2026-03-02",
              "risks":[{"id":"R-1","state":"accepted"}],"count":1}}})");
  const auto problems_of = [&](std::string_view doc, compare how) {
    std::vector<std::string> problems;
    match(doc_parser(doc).parse(), answer, "", how, problems);
    return problems;
  };
  // The documented form.
  EXPECT_TRUE(problems_of(R"({"id":"8","ok":true,"result":{"view":"risks","position":900,
      "data":{"view":"risks","as_of":"…","today":"2027-01-01","risks":[{"id":"R-1", …}, …],…}}})",
                          compare::values)
                  .empty());
  // The view's members put directly in result (docs/views.md before).
  EXPECT_FALSE(problems_of(R"({"id":"8","ok":true,"result":{"view":"risks","risks":[…],…}})", compare::values).empty());
  EXPECT_FALSE(problems_of(R"({"id":"8","ok":false})", compare::values).empty());
  EXPECT_FALSE(problems_of(R"({"id":"8","result":{"position":"12"}})", compare::shape).empty());
  EXPECT_FALSE(problems_of(R"({"result":{"data":{"risks":[{"state":1}]}}})", compare::shape).empty());
  EXPECT_TRUE(problems_of(R"({"result":{"data":{"risks":[{"state":"retired"}]}}})", compare::shape).empty());
}

}  // namespace
}  // namespace isms::testing::docs_examples_test
