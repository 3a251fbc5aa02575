// The demo ISMS: loaded through the real command pipeline into a real RocksDB,
// then read back through a freshly started ledger, as `ismsd serve` would after
// `ismsd demo`. The story ends at a fixed instant so every date is the same on
// every run.

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <map>
#include <set>
#include <stdexcept>

#include <sodium.h>

#include "isms/domain/views/views.hpp"
#include "isms/eventstore/store.hpp"
#include "isms/server/demo.hpp"
#include "isms/server/ledger.hpp"

namespace isms::testing::demo_test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
namespace views = domain::views;

constexpr std::int64_t story_end_ms = 1795946400000;  // 2026-11-29T10:00:00Z
constexpr std::int64_t ms_per_day = 86'400'000;
constexpr const char* password_prefix = "demo-";

fs::path fresh_dir() {
  std::string tmpl = (fs::temp_directory_path() / "ismsd-demo-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

server::auth_options fast_hashing() {
  server::auth_options a;
  a.argon2_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  a.argon2_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  return a;
}

server::ledger_options ledger_at_story_end() {
  server::ledger_options lo;
  lo.clock = [] { return story_end_ms; };
  lo.auth = fast_hashing();
  lo.scheduler_interval = std::chrono::hours(24);  // the tests run the time rules explicitly
  return lo;
}

domain::date story_today() { return domain::date{std::chrono::days{story_end_ms / ms_per_day}}; }

// Runs a command line, returns its exit status and what it printed.
std::pair<int, std::string> run_command(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// One demo, loaded once for the suite (it is the expensive part), then
// served by a new ledger on the same store.
class DemoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fresh_dir());
    auto s = eventstore::store::open(eventstore::options{}, *dir_);
    if (!s) throw std::runtime_error("cannot open store: " + s.error().message);
    store_ = s->release();
    server::demo_options o;
    o.password_prefix = password_prefix;
    o.now = [] { return story_end_ms; };
    o.auth = fast_hashing();
    o.evidence_dir = evidence_dir();
    loaded_ = new std::expected<server::demo_summary, server::demo_error>(server::load_demo(*store_, o));
    auto lo = ledger_at_story_end();
    lo.evidence_dir = evidence_dir();
    app_ = new server::ledger(lo, *store_);
    app_->settle();
  }

  static void TearDownTestSuite() {
    delete app_;
    delete store_;
    delete loaded_;
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    fs::remove_all(evidence_dir(), ec);
    delete dir_;
  }

  static fs::path evidence_dir() { return dir_->string() + "-evidence"; }

  void SetUp() override {
    ASSERT_TRUE(loaded_->has_value()) << loaded_->error().message;
  }

  static const server::demo_summary& summary() { return **loaded_; }

  static json query(const std::string& view, const json& params = json::object()) {
    const domain::actor auditor{"peter.graf", {domain::role::external_auditor}};
    std::optional<json> out;
    app_->views().read_current([&](const views::all_views& v) {
      auto r = views::query(v, view, params, auditor, story_today());
      if (r) out = std::move(*r);
    });
    if (!out) throw std::runtime_error("query " + view + " failed");
    return *out;
  }

  template <class F>
  static void read(F&& reader) {
    app_->views().read_current([&](const views::all_views& v) { reader(v); });
  }

  static inline fs::path* dir_ = nullptr;
  static inline eventstore::store* store_ = nullptr;
  static inline std::expected<server::demo_summary, server::demo_error>* loaded_ = nullptr;
  static inline server::ledger* app_ = nullptr;
};

TEST_F(DemoTest, EveryRoleHasAUserWhoSignsInWithTheirPassword) {
  const std::set<std::string> roles{"admin", "isms_manager", "top_management", "risk_owner",
                                    "contributor", "internal_auditor", "external_auditor"};
  std::set<std::string> covered;
  const auto at = std::chrono::system_clock::time_point{std::chrono::milliseconds{story_end_ms}};
  for (const auto& u : summary().users) {
    EXPECT_EQ(u.password, password_prefix + u.id);
    read([&](const views::all_views& v) {
      const auto it = v.users.users.find(u.id);
      ASSERT_NE(it, v.users.users.end()) << u.id;
      EXPECT_TRUE(it->second.enabled) << u.id;
      EXPECT_EQ(it->second.roles, u.roles) << u.id;
    });
    const auto session = app_->auth().login(u.id, u.password, "127.0.0.1", at);
    ASSERT_TRUE(session.has_value()) << u.id << ": " << session.error().message;
    EXPECT_EQ(session->user_id, u.id);
    for (const auto& r : u.roles) covered.insert(r);
  }
  EXPECT_EQ(covered, roles);
  EXPECT_FALSE(app_->auth().login("mara.hansen", "not-her-password", "127.0.0.1", at).has_value());
  ASSERT_FALSE(summary().users.empty());
  EXPECT_EQ(summary().users.front().id, "admin");
  EXPECT_NE(server::demo_users_table(summary()).find("demo-henrik.brandt"), std::string::npos);
}

TEST_F(DemoTest, RiskRegisterHoldsAboutTwentyRisksInEveryStage) {
  std::map<std::string, int> by_state;
  bool rejected_then_accepted = false, board_accepted_above_appetite = false, expiring_soon = false;
  std::set<std::string> owners, options;
  const std::string soon = domain::format_date(story_today() + std::chrono::days{30});
  const std::string today = domain::format_date(story_today());
  read([&](const views::all_views& v) {
    for (const auto& [id, r] : v.risks.risks) {
      ++by_state[r.state];
      owners.insert(r.owner);
      if (!r.treatment_option.empty()) options.insert(r.treatment_option);
      if (r.state == "accepted") {
        // The live views keep no history; it is read from the risk's stream.
        auto history = app_->views().history_of(r.stream, v.position);
        EXPECT_TRUE(r.history.empty()) << id;
        ASSERT_TRUE(history.has_value()) << id;
        if (std::any_of(history->begin(), history->end(),
                        [](const auto& h) { return h["type"] == "risk.acceptance_rejected.v1"; }))
          rejected_then_accepted = true;
      }
      if (r.state == "accepted" && !r.within_appetite &&
          std::find(r.accepted_by.begin(), r.accepted_by.end(), "henrik.brandt") != r.accepted_by.end())
        board_accepted_above_appetite = true;
      if (r.state == "accepted" && r.accepted_until > today && r.accepted_until <= soon) expiring_soon = true;
      // Nothing accepted is past its review date: the scheduler has nothing to expire.
      if (r.state == "accepted") {
        EXPECT_GT(r.accepted_until, today) << id;
      }
    }
    EXPECT_GE(v.risks.risks.size(), 18u);
    EXPECT_LE(v.risks.risks.size(), 25u);
  });
  EXPECT_GE(by_state["accepted"], 10);
  EXPECT_GE(by_state["acceptance_requested"], 2);
  EXPECT_EQ(by_state["retired"], 1);
  EXPECT_GE(by_state["assessed"], 1);
  EXPECT_GE(by_state["identified"], 1);
  EXPECT_TRUE(rejected_then_accepted);
  EXPECT_TRUE(board_accepted_above_appetite);
  EXPECT_TRUE(expiring_soon);
  EXPECT_GE(owners.size(), 4u);
  EXPECT_EQ(options, (std::set<std::string>{"avoid", "modify", "retain", "share"}));

  // The levels spread over the matrix, some above appetite.
  std::set<std::string> levels;
  read([&](const views::all_views& v) {
    for (const auto& [id, r] : v.risks.risks)
      if (!r.inherent.level.empty()) levels.insert(r.inherent.level);
  });
  EXPECT_EQ(levels, (std::set<std::string>{"low", "medium", "high", "critical"}));
}

TEST_F(DemoTest, StatementOfApplicabilityDecidesAll93ControlsAndIsPublished) {
  read([&](const views::all_views& v) {
    ASSERT_EQ(v.soa.entries.size(), 93u);
    std::size_t decided = 0, excluded = 0;
    std::set<std::string> statuses;
    for (const auto& e : v.soa.entries) {
      if (e.decided) ++decided;
      if (e.decided && !e.applicable) ++excluded;
      EXPECT_FALSE(e.justification.empty());
      if (e.applicable) statuses.insert(std::string(domain::soa::to_string(e.status)));
    }
    EXPECT_EQ(decided, 93u);
    EXPECT_GE(excluded, 1u);
    EXPECT_GE(statuses.size(), 3u);
    EXPECT_EQ(v.soa.published_version, 1);
    EXPECT_EQ(v.soa.published_by, std::vector<std::string>{"henrik.brandt"});
    // Implementation moved on after version 1.
    EXPECT_NE(domain::soa::content_hash(views::soa_state_of(v.soa)), v.soa.published_hash);
  });
}

TEST_F(DemoTest, ObjectivesHaveMonthlyProgressOneAchievedOneOverdue) {
  std::map<std::string, int> by_state;
  read([&](const views::all_views& v) {
    EXPECT_GE(v.objectives.objectives.size(), 4u);
    EXPECT_LE(v.objectives.objectives.size(), 5u);
    for (const auto& [id, o] : v.objectives.objectives) {
      ++by_state[o.state];
      EXPECT_GE(o.progress.size(), 6u) << id;
      for (std::size_t i = 1; i < o.progress.size(); ++i) EXPECT_LT(o.progress[i - 1].on, o.progress[i].on) << id;
    }
  });
  EXPECT_EQ(by_state["achieved"], 1);
  const json overdue = query("objectives", {{"overdue", true}});
  EXPECT_EQ(overdue.at("objectives").size(), 1u) << overdue.dump();
}

TEST_F(DemoTest, NonconformitiesStandInSeveralStatesOneFromTheAuditFinding) {
  std::set<std::string> states;
  bool from_finding = false, overdue_action = false;
  read([&](const views::all_views& v) {
    EXPECT_GE(v.nonconformities.ncs.size(), 4u);
    EXPECT_LE(v.nonconformities.ncs.size(), 6u);
    for (const auto& [id, n] : v.nonconformities.ncs) {
      states.insert(views::nc_state(n));
      if (n.audit_id == "IA-1" && n.raised_by == "system") from_finding = true;
      if (!views::nc_overdue_actions(n, story_today()).empty()) overdue_action = true;
    }
  });
  EXPECT_GE(states.size(), 3u);
  EXPECT_TRUE(states.contains("closed"));
  EXPECT_TRUE(from_finding);
  EXPECT_TRUE(overdue_action);
}

TEST_F(DemoTest, AuditsReportedAndPlanned) {
  std::map<std::string, int> by_state;
  read([&](const views::all_views& v) {
    for (const auto& [id, a] : v.audits.audits) ++by_state[a.state];
  });
  EXPECT_EQ(by_state["reported"], 1);
  EXPECT_EQ(by_state["planned"], 1);
}

TEST_F(DemoTest, OneManagementReviewClosedAndTheNextScheduled) {
  std::map<std::string, int> by_state;
  read([&](const views::all_views& v) {
    for (const auto& [id, r] : v.reviews.reviews) {
      ++by_state[r.state];
      if (r.state == "closed") {
        EXPECT_TRUE(r.has_inputs);
        EXPECT_EQ(r.items.size(), 7u);
        EXPECT_FALSE(r.decisions.empty());
        EXPECT_FALSE(r.actions.empty());
        EXPECT_FALSE(r.minutes_approved_by.empty());
      }
      if (r.state == "scheduled") {
        EXPECT_GT(r.planned_on, domain::format_date(story_today()));
      }
    }
  });
  EXPECT_EQ(by_state["closed"], 1);
  EXPECT_EQ(by_state["scheduled"], 1);
}

TEST_F(DemoTest, DocumentsPublishedOneAwaitingApprovalOneReviewComingDue) {
  std::map<std::string, int> by_stage;
  bool review_coming_due = false;
  const std::string today = domain::format_date(story_today());
  const std::string in_60_days = domain::format_date(story_today() + std::chrono::days{60});
  read([&](const views::all_views& v) {
    for (const auto& [id, d] : v.documents.documents) {
      ++by_stage[d.working];
      EXPECT_TRUE(d.has_published) << id;
      const auto due = views::document_review_due(d);
      if (due > today && due <= in_60_days) review_coming_due = true;
    }
  });
  EXPECT_GE(by_stage["published"], 3);
  EXPECT_EQ(by_stage["approval_requested"], 1);
  EXPECT_TRUE(review_coming_due);
}

TEST_F(DemoTest, InboxesAreNotEmpty) {
  for (const auto& [user, role] : std::vector<std::pair<std::string, domain::role>>{
           {"eva.schmidt", domain::role::risk_owner},
           {"lars.meyer", domain::role::risk_owner},
           {"henrik.brandt", domain::role::top_management},
           {"tobias.lange", domain::role::isms_manager}}) {
    json inbox;
    read([&](const views::all_views& v) { inbox = views::inbox_of(v, domain::actor{user, {role}}, story_today()); });
    EXPECT_FALSE(inbox.at("approvals").empty()) << user;
  }
}

TEST_F(DemoTest, HistorySpansFourteenMonthsAndNeverGoesBack) {
  std::int64_t first = 0, last = 0, previous = 0;
  std::uint64_t count = 0;
  auto scanned = store_->scan(1, UINT64_MAX, [&](const eventstore::event_view& e) {
    if (count++ == 0) first = e.recorded_at_ms;
    EXPECT_GE(e.recorded_at_ms, previous) << "position " << e.position;
    previous = last = e.recorded_at_ms;
    return true;
  });
  ASSERT_TRUE(scanned.has_value());
  EXPECT_EQ(count, summary().head_position);
  EXPECT_LE(last, story_end_ms);
  EXPECT_GE((story_end_ms - first) / ms_per_day, 400);
  EXPECT_LE((story_end_ms - first) / ms_per_day, 430);

  // As of 250 days ago: the first SoA was published, the first review not yet scheduled.
  auto p = app_->views().position_at(story_end_ms - 250 * ms_per_day);
  ASSERT_TRUE(p.has_value());
  auto then = app_->views().as_of_position(*p);
  ASSERT_TRUE(then.has_value());
  EXPECT_EQ((*then)->soa.published_version, 1);
  EXPECT_TRUE((*then)->reviews.reviews.empty());
  EXPECT_LT((*then)->risks.risks.size(), 18u);
}

// The live views drop entity histories; the views that show one read it from
// the entity's stream. Over the whole demo, that equals the history the fold
// with histories kept builds, for every entity and at past positions too.
TEST_F(DemoTest, HistoriesReadFromTheirStreamsEqualTheFoldThatKeepsThem) {
  const std::uint64_t head = store_->current_head().position;
  const std::uint64_t middle = head / 2;
  views::all_views full = views::initial_views(), at_middle;
  ASSERT_TRUE(full.keep_history);
  for (std::uint64_t from = 1; from <= head; from += 512) {
    auto batch = store_->read_all(from, 512);
    ASSERT_TRUE(batch.has_value());
    for (const auto& e : *batch) {
      if (e.stream != eventstore::erasure_stream) full = views::evolve(std::move(full), server::to_domain(e));
      if (e.position == middle) at_middle = full;
    }
  }
  std::size_t compared = 0, lines = 0;
  const auto check = [&](const views::all_views& v, const std::string& stream, const auto& history) {
    auto read = app_->views().history_of(stream, v.position);
    ASSERT_TRUE(read.has_value()) << stream;
    EXPECT_EQ(*read, domain::json(history)) << stream << " at " << v.position;
    ++compared;
    lines += history.size();
  };
  for (const views::all_views* v : {&full, &at_middle}) {
    for (const auto& [id, r] : v->risks.risks) check(*v, r.stream, r.history);
    for (const auto& [id, d] : v->documents.documents) check(*v, d.stream, d.history);
    for (const auto& [id, n] : v->nonconformities.ncs) check(*v, n.stream, n.history);
    for (const auto& [id, o] : v->objectives.objectives) check(*v, "objective-" + id, o.history);
    for (const auto& [id, a] : v->audits.audits) check(*v, "audit-" + id, a.history);
    for (const auto& [id, r] : v->reviews.reviews) check(*v, "review-" + id, r.history);
    check(*v, "scope-main", v->scope.history);
    check(*v, "soa-main", v->soa.history);
  }
  EXPECT_GT(compared, 60u);
  EXPECT_GT(lines, 300u);
  // And the live views hold none of it.
  app_->views().read_current([](const views::all_views& v) {
    for (const auto& [id, r] : v.risks.risks) EXPECT_TRUE(r.history.empty()) << id;
    EXPECT_TRUE(v.soa.history.empty());
    EXPECT_TRUE(v.scope.history.empty());
  });
}

TEST_F(DemoTest, ChainVerifiesAndTheSchedulerFindsNothingToIssue) {
  const auto before = store_->current_head().position;
  EXPECT_EQ(before, summary().head_position);
  app_->run_scheduler_once();
  app_->settle();
  EXPECT_EQ(store_->current_head().position, before);
  auto v = store_->verify();
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(v->position, before);
  EXPECT_GT(summary().commands, 400u);
}

// Six evidence files, their bytes stored once each and as recorded; the
// restore test on control 8.13 stale, the MFA export on R-04 due for review,
// the account report on corrective action A2 of IA-1-F1.
TEST_F(DemoTest, EvidenceFilesAreStoredAsRecordedOneStaleOneDueForReview) {
  const json all = query("evidence");
  ASSERT_EQ(all.at("count"), 6) << all.dump();
  const json on_action = query("evidence", {{"subject_kind", "nonconformity"}, {"subject_id", "IA-1-F1"}, {"part", "A2"}});
  ASSERT_EQ(on_action.at("count"), 1) << on_action.dump();
  EXPECT_EQ(on_action.at("evidence")[0].at("part_name"), "action");
  for (const auto& x : all.at("evidence")) {
    const std::string digest = x.at("digest");
    EXPECT_TRUE(app_->evidence_store()->check(digest, x.at("size").get<std::uint64_t>()).has_value()) << x.dump();
  }
  const json stale = query("evidence", {{"status", "stale"}});
  ASSERT_EQ(stale.at("count"), 1);
  EXPECT_EQ(stale.at("evidence")[0].at("subject_id"), "8.13");
  const json due = query("due");
  bool mfa_due = false;
  for (const auto& x : due.at("evidence_review_due")) mfa_due = mfa_due || x.at("id") == "EV-0002";
  EXPECT_TRUE(mfa_due) << due.at("evidence_review_due").dump();
}

TEST_F(DemoTest, RefusesAStoreThatHoldsEvents) {
  const auto before = store_->current_head().position;
  server::demo_options o;
  o.password_prefix = password_prefix;
  o.now = [] { return story_end_ms; };
  o.auth = fast_hashing();
  // The loaded store is in use by the suite's ledger; a refusal writes nothing, so it is safe.
  auto again = server::load_demo(*store_, o);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, server::demo_errc::store_not_empty);
  EXPECT_EQ(store_->current_head().position, before);
}

TEST(DemoCommand, RefusesANonEmptyStoreUnlessForced) {
  const fs::path dir = fresh_dir();
  {
    auto s = eventstore::store::open(eventstore::options{}, dir);
    ASSERT_TRUE(s.has_value());
    server::ledger app(ledger_at_story_end(), **s);
    ASSERT_TRUE(app.bootstrap_admin("an-existing-admin-password").has_value());
    app.settle();
  }
  const auto [status, out] = run_command(std::string(ISMSD_PATH) + " demo --data " + dir.string());
  EXPECT_NE(status, 0) << out;
  EXPECT_NE(out.find("already holds 1 event;"), std::string::npos) << out;
  {
    auto s = eventstore::store::open(eventstore::options{}, dir);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ((*s)->current_head().position, 1u);
  }
  // Forced, and without a password prefix: the store is moved aside, every user gets a random password.
  const auto [forced, forced_out] = run_command(std::string(ISMSD_PATH) + " demo --force --data " + dir.string());
  EXPECT_EQ(forced, 0) << forced_out;
  EXPECT_NE(forced_out.find("Moved the existing store aside to " + dir.string() + ".before-demo-"), std::string::npos)
      << forced_out;
  std::set<std::string> passwords;
  for (const char* user : {"admin", "mara.hansen", "henrik.brandt", "peter.graf"}) {
    const auto at = forced_out.find(std::string("\n") + user + " ");
    ASSERT_NE(at, std::string::npos) << user << " missing from\n" << forced_out;
    const auto eol = forced_out.find('\n', at + 1);
    const std::string line = forced_out.substr(at + 1, eol - at - 1);
    const std::string password = line.substr(line.find_last_of(' ') + 1);
    EXPECT_EQ(password.size(), 20u) << line;
    passwords.insert(password);
  }
  EXPECT_EQ(passwords.size(), 4u);
  {
    auto s = eventstore::store::open(eventstore::options{}, dir);
    ASSERT_TRUE(s.has_value());
    EXPECT_GT((*s)->current_head().position, 500u);
  }
  std::error_code ec;
  std::vector<fs::path> moved;
  for (const auto& e : fs::directory_iterator(dir.parent_path(), ec))
    if (e.path().filename().string().starts_with(dir.filename().string() + ".before-demo-")) moved.push_back(e.path());
  ASSERT_EQ(moved.size(), 1u);
  {
    auto aside = eventstore::store::open(eventstore::options{}, moved.front());
    ASSERT_TRUE(aside.has_value());
    EXPECT_EQ((*aside)->current_head().position, 1u);  // the old store, untouched
  }
  fs::remove_all(moved.front(), ec);
  fs::remove_all(dir, ec);
}

// The story format (docs/demo.md) on small stories: a fresh store each.
class DemoStory : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_dir();
    auto s = eventstore::store::open(eventstore::options{}, dir_);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::expected<server::demo_summary, server::demo_error> load(std::string story) {
    server::demo_options o;
    o.password_prefix = password_prefix;
    o.now = [] { return story_end_ms; };
    o.auth = fast_hashing();
    o.story = std::move(story);
    return server::load_demo(*store_, o);
  }

  // Expects `story` refused as story_invalid at `line` with `words` in the
  // message, and nothing written.
  void expect_invalid(const std::string& story, int line, const std::string& words) {
    auto r = load(story);
    ASSERT_FALSE(r.has_value()) << story;
    EXPECT_EQ(r.error().code, server::demo_errc::story_invalid) << r.error().message;
    EXPECT_TRUE(r.error().message.starts_with("story line " + std::to_string(line) + ": ")) << r.error().message;
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
    EXPECT_EQ(store_->current_head().position, 0u);
  }

  static std::string cast() {
    return R"({"day":-10,"time":"08:00","register_user":{"id":"admin","name":"Administrator","job":"IT","roles":["admin"]}})"
           "\n"
           R"({"day":-10,"time":"08:01","register_user":{"id":"mara","name":"Mara","job":"ISMS manager","roles":["isms_manager"]}})"
           "\n"
           R"({"day":-10,"time":"08:02","register_user":{"id":"henrik","name":"Henrik","job":"Managing director","roles":["top_management"]}})"
           "\n";
  }

  fs::path dir_;
  std::unique_ptr<eventstore::store> store_;
};

std::string day_of(int offset) { return domain::format_date(story_today() + std::chrono::days{offset}); }

TEST_F(DemoStory, PlaysCommandsAtTheirMomentsAndResolvesReferences) {
  const std::string story = "# a comment, then an empty line\n\n" + cast() +
      R"({"day":-9,"time":"10:00","by":"mara","command":"scope.set_statement","stream":"scope-main","data":{"boundaries":"Head office","inclusions":["Dispatch"],"exclusions":[]}})"
      "\n"
      R"({"day":-9,"time":"11:00","by":"mara","command":"scope.request_approval","stream":"scope-main","data":{}})"
      "\n"
      R"({"day":-8,"time":"12:30","by":"henrik","command":"approval.approve","stream":"${approval:scope-main}","data":{"comment":"Fine."},"comment":"Fine."})"
      "\n"
      R"({"day":-1,"time":"09:00","by":"mara","command":"review.schedule","stream":"review-MR-1","data":{"review_id":"MR-1","planned_on":"${day:25}","chair":"henrik","interval_months":12}})"
      "\n";
  auto r = load(story);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->commands, 7u);  // three users, four commands
  EXPECT_EQ(r->story_from, day_of(-10));
  EXPECT_EQ(r->story_to, day_of(0));
  ASSERT_EQ(r->users.size(), 3u);
  EXPECT_EQ(r->users[1].id, "mara");
  EXPECT_EQ(r->users[1].password, "demo-mara");

  auto events = store_->read_all(1, 1000);
  ASSERT_TRUE(events.has_value());
  const std::int64_t today_ms = story_end_ms - story_end_ms % ms_per_day;
  bool approved = false, scope_took_effect = false, scheduled = false;
  for (const auto& e : *events) {
    if (e.type == "approval.approved.v1") {
      approved = true;
      EXPECT_EQ(e.metadata.actor, "henrik");
      EXPECT_EQ(e.metadata.command_id, "demo:6");
      EXPECT_EQ(e.metadata.recorded_at_ms, today_ms - 8 * ms_per_day + (12 * 60 + 30) * 60'000);
    }
    // The reaction to the approval, at the approval's moment.
    if (e.stream == "scope-main" && e.type == "scope.approved.v1" &&
        e.metadata.recorded_at_ms == today_ms - 8 * ms_per_day + (12 * 60 + 30) * 60'000)
      scope_took_effect = true;
    if (e.type.starts_with("review.scheduled")) {
      scheduled = true;
      EXPECT_EQ(e.data.at("planned_on"), day_of(25));
      EXPECT_EQ(e.metadata.command_id, "demo:7");
    }
  }
  EXPECT_TRUE(approved);
  EXPECT_TRUE(scope_took_effect);
  EXPECT_TRUE(scheduled);
}

TEST_F(DemoStory, ARefusedCommandStopsTheLoadNamingItsLine) {
  // henrik is top management: the domain refuses him a scope statement.
  auto r = load(cast() +
                R"({"day":-9,"time":"10:00","by":"henrik","command":"scope.set_statement","stream":"scope-main","data":{"boundaries":"Head office","inclusions":["Dispatch"],"exclusions":[]}})"
                "\n");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, server::demo_errc::command_failed);
  EXPECT_TRUE(r.error().message.starts_with("story line 4: scope.set_statement on scope-main by henrik was refused: "))
      << r.error().message;
}

TEST_F(DemoStory, AnApprovalNobodyRequestedStopsTheLoadNamingItsLine) {
  auto r = load(cast() +
                R"({"day":-8,"time":"12:30","by":"henrik","command":"approval.approve","stream":"${approval:scope-main}","data":{}})"
                "\n");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, server::demo_errc::internal);
  EXPECT_EQ(r.error().message, "story line 4: no open approval for scope-main");
}

TEST_F(DemoStory, EveryLineIsCheckedBeforeAnythingIsWritten) {
  const std::string ok_command =
      R"({"day":-9,"time":"10:00","by":"mara","command":"scope.request_approval","stream":"scope-main","data":{}})";
  const auto with = [&](const std::string& line) { return cast() + ok_command + "\n" + line + "\n"; };
  expect_invalid(with("{not json"), 5, "not JSON");
  expect_invalid(with("[1,2]"), 5, "a step must be a JSON object");
  expect_invalid(with(std::string(40, '[') + std::string(40, ']')), 5, "nested deeper than 32 levels");
  expect_invalid(with(R"({"day":-9,"time":"10:00","by":"mara","command":"x.y","stream":"s","data":{},"actor":"mara"})"), 5,
                 "unknown member \"actor\"");
  expect_invalid(with(R"({"day":1,"time":"10:00","by":"mara","command":"x.y","stream":"s","data":{}})"), 5,
                 "\"day\" must be");
  expect_invalid(with(R"({"day":-9,"time":"24:00","by":"mara","command":"x.y","stream":"s","data":{}})"), 5,
                 "\"time\" must be \"hh:mm\"");
  expect_invalid(with(R"({"day":-9,"time":"09:59","by":"mara","command":"x.y","stream":"s","data":{}})"), 5,
                 "earlier than the line before");
  expect_invalid(with(R"({"day":-9,"time":"10:00","by":"olivia","command":"x.y","stream":"s","data":{}})"), 5,
                 "\"olivia\" is not registered");
  expect_invalid(with(R"({"day":-9,"time":"10:00","by":"mara","command":"","stream":"s","data":{}})"), 5,
                 "\"command\" must not be empty");
  expect_invalid(with(R"({"day":-9,"time":"10:00","by":"mara","command":"x.y","stream":"s","data":[]})"), 5,
                 "\"data\" must be an object");
  expect_invalid(with(R"({"day":-9,"time":"10:00","by":"mara","command":"x.y","stream":"s","data":{"a":["${dya:3}"]}})"), 5,
                 "data.a[0]: reference \"${dya:3}\": unknown");
  expect_invalid(with(R"({"day":-9,"time":"10:00","by":"mara","command":"x.y","stream":"s","data":{"due":"${day:soon}"}})"), 5,
                 "data.due: reference \"${day:soon}\"");
  expect_invalid(with(R"({"day":-9,"time":"10:00","by":"mara","command":"x.y","stream":"${day:1}","data":{}})"), 5,
                 "only ${approval:STREAM} may stand for a stream");
  expect_invalid(with(R"({"day":-9,"time":"10:00","register_user":{"id":"mara","name":"M","job":"J","roles":["isms_manager"]}})"), 5,
                 "registered twice");
  expect_invalid(with(R"({"day":-9,"time":"10:00","register_user":{"id":"eve","name":"E","job":"J","roles":["wizard"]}})"), 5,
                 "\"wizard\" is not a role");
  expect_invalid(ok_command + "\n", 1, "the first step registers the administrator");
  expect_invalid("# nothing but a comment\n", 1, "no step");
}

TEST(DemoStoryData, TheBuiltInStoryIsTheFileInTheSourceTree) {
  std::ifstream in(DEMO_STORY_PATH, std::ios::binary);
  ASSERT_TRUE(in) << DEMO_STORY_PATH;
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(server::demo_story(), file);
}

}  // namespace
}  // namespace isms::testing::demo_test
