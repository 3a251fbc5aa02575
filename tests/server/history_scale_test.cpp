// Years of history at constant live state: the views' memory follows the
// live entities, not the log; time travel reads snapshots kept on disk (in
// chunks) through a bounded cache; a restart folds only the tail.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <random>
#include <thread>

#include "isms/domain/views/views.hpp"
#include "isms/eventstore/store.hpp"
#include "isms/server/ledger.hpp"
#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::history_scale_test {
namespace {

using json = nlohmann::json;
using testing::test_server;
using testing::ws_client;
namespace views = domain::views;

constexpr int risks = 20;

bool ok(const std::optional<json>& r) { return r && r->contains("result"); }

// A test may ask the next start for a snapshot every this many events, with
// no spacing by size (0: the usual schedule).
std::uint64_t snapshot_every_next_start = 0;

void tweak(server::server_config& c) {
  c.ledger.projections.snapshot_every = 100;
  c.ledger.projections.snapshot_bytes_per_event = 64;
  if (snapshot_every_next_start != 0) {
    c.ledger.projections.snapshot_every = snapshot_every_next_start;
    c.ledger.projections.snapshot_bytes_per_event = std::uint64_t{1} << 40;
  }
  c.ledger.projections.cached_views = 3;
  c.ledger.projections.snapshot_chunk_bytes = 1024;  // every snapshot spans many chunks
  c.ledger.ws.requests_per_second = 1e6;  // one client sends thousands of commands
  c.ledger.ws.burst = 1e6;
}

std::size_t live_bytes(server::ledger& app) {
  std::size_t n = 0;
  app.views().read_current([&](const views::all_views& v) { n = views::snapshot(v).dump().size(); });
  return n;
}

// Reassesses every risk `rounds` times: the history grows, the live state
// (20 assessed risks) keeps its shape.
void reassess(ws_client& c, int rounds, int& round) {
  for (int k = 0; k < rounds; ++k, ++round)
    for (int i = 1; i <= risks; ++i) {
      auto r = c.command("risk.assess", "risk-R-" + std::to_string(i),
                         {{"likelihood", 1 + (round + i) % 5},
                          {"impact", 1 + (round * 3 + i) % 5},
                          {"rationale", "quarterly reassessment " + std::to_string(round)}});
      ASSERT_TRUE(ok(r)) << (r ? r->dump() : "no reply") << " open " << c.open() << " close " << c.close_code();
    }
}

void wait_for_snapshot_writer(server::ledger& app, std::uint64_t at_least) {
  for (int i = 0; i < 500 && app.views().stats().snapshots_written < at_least; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

class history_scale : public ::testing::Test {
 protected:
  void SetUp() override {
    token_ = srv_.add_user("manager", {"isms_manager"});
    srv_.add_user("owner", {"risk_owner"});
    ws_client::options o;
    o.bearer = token_;
    client_ = ws_client::connect(srv_.port(), o);
    ASSERT_NE(client_, nullptr);
    for (int i = 1; i <= risks; ++i)
      ASSERT_TRUE(ok(client_->command("risk.identify", "risk-R-" + std::to_string(i),
                                      {{"title", "Ransomware on file server " + std::to_string(i)},
                                       {"asset", "File servers"},
                                       {"threat", "Ransomware"},
                                       {"vulnerability", "Flat network"},
                                       {"owner", "owner"},
                                       {"category", "technical"}})));
  }

  test_server srv_{tweak};
  std::string token_;
  std::unique_ptr<ws_client> client_;
  int round_ = 0;
};

TEST_F(history_scale, view_memory_follows_the_live_state_not_the_history) {
  // Past the activity feed's bound (1,000 lines), then the same again.
  reassess(*client_, 60, round_);
  srv_.app().settle();
  const std::size_t after_1200 = live_bytes(srv_.app());
  reassess(*client_, 60, round_);
  srv_.app().settle();
  const std::size_t after_2400 = live_bytes(srv_.app());
  // Twice the history, the same live risks: the views are the same size
  // (within what the rotating rationale texts change). With each risk's
  // history kept in the views they grew by ~60 %.
  EXPECT_LE(after_2400, after_1200 + after_1200 / 20) << after_1200 << " → " << after_2400;

  // The history is still there for whoever asks, read from the stream.
  auto risk = client_->query("risk", {{"id", "R-7"}});
  ASSERT_TRUE(ok(risk));
  EXPECT_EQ((*risk)["result"]["data"]["history"].size(), 1u + 120u);
  const auto head = srv_.store().current_head().position;
  auto then = client_->query("risk", {{"id", "R-7"}}, json{{"position", head / 2}});
  ASSERT_TRUE(ok(then));
  for (const auto& line : (*then)["result"]["data"]["history"]) EXPECT_LE(line["position"].get<std::uint64_t>(), head / 2);
  EXPECT_LT((*then)["result"]["data"]["history"].size(), 121u);
}

TEST_F(history_scale, time_travel_from_disk_snapshots_through_a_bounded_cache_equals_the_full_fold) {
  reassess(*client_, 60, round_);
  srv_.app().settle();
  wait_for_snapshot_writer(srv_.app(), 3);
  auto& engine = srv_.app().views();
  const auto head = srv_.store().current_head().position;
  EXPECT_GE(engine.stats().snapshots, 3u);
  EXPECT_GT(engine.stats().last_snapshot_bytes, 4u * 1024u) << "a snapshot spans several chunks";

  std::mt19937_64 rng(7);
  for (int i = 0; i < 40; ++i) {
    const std::uint64_t p = 1 + rng() % head;
    auto past = engine.as_of_position(p);
    ASSERT_TRUE(past.has_value()) << p;
    auto rebuilt = engine.rebuild_from_scratch(p);
    ASSERT_TRUE(rebuilt.has_value());
    ASSERT_EQ((*past)->position, p);
    EXPECT_EQ(views::snapshot(**past), views::snapshot(*rebuilt)) << "as of " << p;
    EXPECT_LE(engine.stats().cached_views, 3u);
  }
  // Over the wire as well, with a diff between two past points.
  auto d = client_->query("risks", json::object(), json{{"position", head / 3}});
  ASSERT_TRUE(ok(d));
  EXPECT_EQ((*d)["result"]["position"], head / 3);
}

// A register asked for as of a past position is restored from the
// snapshots' sections and folded with only the views its query reads, and
// answers as the fold of every view does.
TEST_F(history_scale, a_past_register_restores_and_folds_only_the_views_it_reads) {
  reassess(*client_, 30, round_);
  srv_.app().settle();
  wait_for_snapshot_writer(srv_.app(), 3);
  auto& engine = srv_.app().views();
  const auto head = srv_.store().current_head().position;
  const domain::actor manager{"manager", {domain::role::isms_manager}};
  const domain::date today = std::chrono::year{2026} / 12 / 1;
  std::mt19937_64 rng(11);
  for (int i = 0; i < 12; ++i) {
    const std::uint64_t p = 1 + rng() % head;
    for (const char* name : {"risks", "users", "soa"}) {
      auto past = engine.as_of_position(p, views::views_read_by(name));
      ASSERT_TRUE(past.has_value()) << p;
      ASSERT_EQ((*past)->position, p);
      EXPECT_TRUE((*past)->held.covers(views::views_read_by(name))) << name;
      if ((*past)->held == views::views_read_by(name)) {
        EXPECT_TRUE((*past)->activity == views::activity_view{}) << "the feed is not folded for " << name;
      }
      auto rebuilt = engine.rebuild_from_scratch(p);
      ASSERT_TRUE(rebuilt.has_value());
      const auto a = views::query(**past, name, json::object(), manager, today);
      const auto b = views::query(*rebuilt, name, json::object(), manager, today);
      ASSERT_TRUE(a && b) << name;
      EXPECT_EQ(*a, *b) << name << " as of " << p;
    }
  }
  // The register alone, not the feed: a cached past register is no start
  // for the feed at the same position.
  const std::uint64_t p = head / 2;
  auto risks_then = engine.as_of_position(p, views::views_read_by("risks"));
  ASSERT_TRUE(risks_then.has_value());
  EXPECT_TRUE((*risks_then)->held == views::views_read_by("risks"));
  EXPECT_TRUE((*risks_then)->users == views::users_view{}) << "the users are not restored for the register";
  auto feed_then = engine.as_of_position(p);
  ASSERT_TRUE(feed_then.has_value());
  EXPECT_TRUE((*feed_then)->held.whole());
  EXPECT_FALSE((*feed_then)->activity.lines.empty());
  // Over the wire.
  auto r = client_->query("risks", json::object(), json{{"position", p}});
  ASSERT_TRUE(ok(r));
  const auto expected = views::query(**risks_then, "risks", json::object(), manager, today);
  ASSERT_TRUE(expected.has_value());
  const auto rows = [](const json& risks) {
    std::vector<std::string> out;
    for (const auto& row : risks) out.push_back(row.at("id").dump() + " " + row.at("state").dump() + " " +
                                                row.at("inherent").dump());
    return out;
  };
  ASSERT_FALSE((*expected)["risks"].empty());
  EXPECT_EQ(rows((*r)["result"]["data"]["risks"]), rows((*expected)["risks"]));
}

TEST_F(history_scale, restarts_fold_only_the_tail) {
  reassess(*client_, 60, round_);
  srv_.app().settle();
  wait_for_snapshot_writer(srv_.app(), 2);
  const auto head = srv_.store().current_head().position;
  const auto s = srv_.app().views().stats();
  // The schedule keeps up with the log: what a crash now would refold is at
  // most one spacing (the larger of snapshot_every and bytes / 64) and what
  // the writer had not finished.
  ASSERT_GT(s.last_snapshot_position, 0u);
  EXPECT_LE(head - s.last_snapshot_position,
            2 * std::max<std::uint64_t>(100, s.last_snapshot_bytes / 64) + 1)
      << "head " << head << ", last snapshot " << s.last_snapshot_position;

  json before;
  srv_.app().views().read_current([&](const views::all_views& v) { before = views::snapshot(v); });
  srv_.restart();
  srv_.app().settle();
  // A clean stop writes a last snapshot: start-up folds nothing.
  EXPECT_EQ(srv_.app().views().stats().started_from, head);
  json after;
  srv_.app().views().read_current([&](const views::all_views& v) { after = views::snapshot(v); });
  EXPECT_EQ(after, before);
  auto rebuilt = srv_.app().views().rebuild_from_scratch(head);
  ASSERT_TRUE(rebuilt.has_value());
  EXPECT_EQ(views::snapshot(*rebuilt), after);
}

// A start that folds the whole log (no snapshot to start from: a first
// start on an imported store, or after the snapshots were dropped) reads it
// faster than the writer encodes snapshots; it still leaves one every
// spacing, for time travel, and ends at the same views. The start asks for
// one every 20 events, more often than the writer could keep up with.
TEST_F(history_scale, a_start_that_folds_the_whole_log_leaves_a_snapshot_every_spacing) {
  reassess(*client_, 60, round_);
  srv_.app().settle();
  struct reset {
    ~reset() { snapshot_every_next_start = 0; }
  } reset_after;
  snapshot_every_next_start = 20;
  const auto head = srv_.store().current_head().position;
  json before;
  srv_.app().views().read_current([&](const views::all_views& v) { before = views::snapshot(v); });
  srv_.stop();
  {
    auto opened = eventstore::store::open(eventstore::options{}, srv_.dir());
    ASSERT_TRUE(opened.has_value());
    ASSERT_TRUE((*opened)->erase_meta("views/snapshots").has_value());  // the index: no snapshot is known
  }
  srv_.restart();
  srv_.app().settle();
  auto& engine = srv_.app().views();
  EXPECT_EQ(engine.stats().started_from, 0u);
  wait_for_snapshot_writer(srv_.app(), head / 20 - 1);
  json after;
  engine.read_current([&](const views::all_views& v) { after = views::snapshot(v); });
  EXPECT_EQ(after, before);
  // One every 20 events of the log read at start, and none lost.
  const auto s = engine.stats();
  EXPECT_GE(s.snapshots + 1, head / 20) << "head " << head;
  EXPECT_EQ(s.snapshot_failures, 0u);
  // And time travel from them equals the full fold.
  for (const std::uint64_t p : {head / 4, head / 2, head - 7}) {
    auto past = engine.as_of_position(p);
    ASSERT_TRUE(past.has_value()) << p;
    auto rebuilt = engine.rebuild_from_scratch(p);
    ASSERT_TRUE(rebuilt.has_value());
    EXPECT_EQ(views::snapshot(**past), views::snapshot(*rebuilt)) << "as of " << p;
  }
}

// Snapshots are the views in their binary layout. One written before, as
// MessagePack of the views' JSON, is still read; one this build can never
// decode (another layout, damaged) is removed at start, so that time travel
// does not try it again, and start-up takes the one before it.
TEST_F(history_scale, earlier_snapshots_are_read_and_ones_no_build_can_read_are_removed) {
  reassess(*client_, 30, round_);
  srv_.app().settle();
  wait_for_snapshot_writer(srv_.app(), 3);
  json before;
  srv_.app().views().read_current([&](const views::all_views& v) { before = views::snapshot(v); });
  srv_.stop();  // a clean stop writes one at the head
  std::uint64_t damaged = 0, earlier = 0;
  {
    auto opened = eventstore::store::open(eventstore::options{}, srv_.dir());
    ASSERT_TRUE(opened.has_value());
    auto& store = **opened;
    json index = json::parse(store.get_meta("views/snapshots").value());
    auto& list = index["snapshots"];
    ASSERT_GE(list.size(), 2u) << index.dump();
    const auto key = [](std::uint64_t p, std::size_t i) {
      return "views/snapshot/" + std::to_string(p) + "/" + std::to_string(i);
    };
    const auto read = [&](const json& ref) {
      std::string bytes;
      for (std::size_t i = 0; i < ref[2].get<std::size_t>(); ++i) bytes += store.get_meta(key(ref[0], i)).value();
      return bytes;
    };
    // The newest: its layout fingerprint damaged.
    json& newest = list[list.size() - 1];
    damaged = newest[0].get<std::uint64_t>();
    std::string first = store.get_meta(key(damaged, 0)).value();
    ASSERT_TRUE(views::is_binary_snapshot(first));
    const std::size_t fingerprint_at = first.find("views") + 5 + 1;
    first[fingerprint_at] = static_cast<char>(first[fingerprint_at] ^ 0x40);
    ASSERT_TRUE(store.put_meta(key(damaged, 0), first).has_value());
    // The one before: rewritten in the earlier encoding.
    json& before_newest = list[list.size() - 2];
    earlier = before_newest[0].get<std::uint64_t>();
    auto v = views::decode_snapshot(read(before_newest));
    ASSERT_TRUE(v.has_value()) << v.error();
    const auto packed = json::to_msgpack(views::snapshot(*v));
    for (std::size_t i = 0; i < before_newest[2].get<std::size_t>(); ++i)
      ASSERT_TRUE(store.erase_meta(key(earlier, i)).has_value());
    ASSERT_TRUE(store.put_meta(key(earlier, 0), std::string(packed.begin(), packed.end())).has_value());
    before_newest[1] = packed.size();
    before_newest[2] = 1;
    ASSERT_TRUE(store.put_meta("views/snapshots", index.dump()).has_value());
  }
  srv_.restart();
  srv_.app().settle();
  const auto s = srv_.app().views().stats();
  EXPECT_EQ(s.started_from, earlier);
  EXPECT_EQ(s.snapshot_failures, 1u);
  json after;
  srv_.app().views().read_current([&](const views::all_views& v) { after = views::snapshot(v); });
  EXPECT_EQ(after, before);
  // Time travel just past the damaged one folds from the earlier one
  // (trying the damaged one again would count a second failure) and equals
  // the full fold.
  ws_client::options o;
  o.bearer = srv_.token_of("manager");
  client_ = ws_client::connect(srv_.port(), o);
  ASSERT_NE(client_, nullptr);
  reassess(*client_, 1, round_);
  srv_.app().settle();
  auto past = srv_.app().views().as_of_position(damaged + 5);
  ASSERT_TRUE(past.has_value());
  auto rebuilt = srv_.app().views().rebuild_from_scratch(damaged + 5);
  ASSERT_TRUE(rebuilt.has_value());
  EXPECT_EQ(views::snapshot(**past), views::snapshot(*rebuilt));
  EXPECT_EQ(srv_.app().views().stats().snapshot_failures, 1u);
  // And it is gone from the index and the store.
  srv_.stop();
  auto opened = eventstore::store::open(eventstore::options{}, srv_.dir());
  ASSERT_TRUE(opened.has_value());
  const json index = json::parse((*opened)->get_meta("views/snapshots").value());
  for (const auto& ref : index["snapshots"]) EXPECT_NE(ref[0].get<std::uint64_t>(), damaged) << index.dump();
  EXPECT_FALSE((*opened)->get_meta("views/snapshot/" + std::to_string(damaged) + "/0").has_value());
}

// Many acceptance cycles: every concluded approval stays in its streams, the
// views keep the recent ones and each subject's last approved one.
TEST_F(history_scale, views_keep_recent_approvals_and_a_subjects_approvals_are_read_from_its_streams) {
  ws_client::options o;
  o.bearer = srv_.token_of("owner");
  auto owner = ws_client::connect(srv_.port(), o);
  ASSERT_NE(owner, nullptr);
  const auto cycle = [&](const std::string& stream, int k) {
    ASSERT_TRUE(ok(client_->command("risk.assess", stream,
                                    {{"likelihood", 2 + k % 3}, {"impact", 3}, {"rationale", "cycle " + std::to_string(k)}})));
    ASSERT_TRUE(ok(client_->command("risk.plan_treatment", stream,
                                    {{"option", "modify"},
                                     {"controls", {"8.24"}},
                                     {"actions", "Encrypt, round " + std::to_string(k)},
                                     {"target_likelihood", 1},
                                     {"target_impact", 2},
                                     {"due", "2026-06-30"}})));
    ASSERT_TRUE(ok(client_->command("risk.request_acceptance", stream, {{"comment", "ready"}})));
    srv_.app().settle();  // the reaction opens the approval
    auto open = client_->query("approvals", {{"subject_stream", stream}, {"state", "open"}});
    ASSERT_TRUE(ok(open));
    ASSERT_EQ((*open)["result"]["data"]["approvals"].size(), 1u) << open->dump();
    const std::string id = (*open)["result"]["data"]["approvals"][0]["id"];
    auto approved = owner->command("approval.approve", "approval-" + id, {{"comment", "fine"}});
    ASSERT_TRUE(ok(approved)) << approved->dump();
    srv_.app().settle();
  };
  cycle("risk-R-2", 0);  // long ago: its last approval must stay for R-2's next request
  const std::uint64_t early = srv_.store().current_head().position;
  constexpr int cycles = 230;
  for (int k = 1; k <= cycles; ++k) {
    cycle("risk-R-1", k);
    if (HasFatalFailure()) return;
  }
  srv_.app().settle();
  const auto head = srv_.store().current_head().position;

  std::size_t held = 0;
  std::string r2_last;
  srv_.app().views().read_current([&](const views::all_views& v) {
    held = v.approvals.approvals.size();
    r2_last = v.approvals.last_approved.at("risk-R-2");
    EXPECT_TRUE(v.approvals.approvals.contains(r2_last)) << "a subject's last approval leaves the views";
  });
  EXPECT_LE(held, views::concluded_kept + 1) << "the views hold every approval ever concluded";

  // The views that keep everything, folded from the log, answer the same.
  auto full_at = [&](std::uint64_t p) {
    views::all_views v = views::initial_views();
    for (std::uint64_t from = 1; from <= p; from += 512) {
      auto batch = srv_.store().read_all(from, std::min<std::uint64_t>(512, p - from + 1));
      EXPECT_TRUE(batch.has_value());
      for (const auto& e : *batch) v = views::evolve(std::move(v), server::to_domain(e));
    }
    return v;
  };
  const domain::actor viewer{"manager", {domain::role::isms_manager}};
  const domain::date today = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1};
  for (const std::uint64_t p : {head, head / 2, early}) {
    const views::all_views full = full_at(p);
    for (const std::string subject : {"risk-R-1", "risk-R-2"}) {
      const json params{{"subject_stream", subject}};
      auto expected = views::query(full, "approvals", params, viewer, today);
      ASSERT_TRUE(expected.has_value());
      std::uint64_t at = 0;
      auto answered = srv_.app().views().query(p == head ? std::nullopt : std::optional<std::uint64_t>(p),
                                               "approvals", params, viewer, today, at);
      ASSERT_TRUE(answered.has_value()) << answered.error().message;
      EXPECT_EQ(at, p);
      EXPECT_EQ((*answered)["approvals"], (*expected)["approvals"]) << subject << " at " << p;
      EXPECT_EQ((*answered)["by_state"], (*expected)["by_state"]) << subject << " at " << p;
    }
  }
  auto all_r1 = client_->query("approvals", {{"subject_stream", "risk-R-1"}});
  ASSERT_TRUE(ok(all_r1));
  EXPECT_EQ((*all_r1)["result"]["data"]["count"], cycles);
}

// The event log over the whole history, not only the feed's latest 1,000
// lines: a day long past, one stream's events on a day, and every event of
// a type page by page, each equal to what the store holds.
TEST_F(history_scale, the_event_log_filters_and_pages_the_whole_history_on_the_server) {
  // A day later, signed in afresh (a session lasts hours, not days).
  const auto next_day = [&] {
    srv_.advance_days(1);
    client_ = testing::connect_as(srv_, srv_.token_of("manager"));
    ASSERT_NE(client_, nullptr);
  };
  next_day();  // 2026-03-03
  reassess(*client_, 30, round_);
  next_day();  // 2026-03-04
  reassess(*client_, 30, round_);
  next_day();  // 2026-03-05
  reassess(*client_, 10, round_);
  srv_.app().settle();

  // What the log holds, newest first, by the store itself.
  auto all = srv_.store().read_all(1, 100000);
  ASSERT_TRUE(all.has_value());
  const auto expected = [&](const std::function<bool(const eventstore::recorded_event&)>& pick) {
    std::vector<std::uint64_t> out;
    for (auto it = all->rbegin(); it != all->rend(); ++it)
      if (it->stream != eventstore::erasure_stream && !it->stream.starts_with("ledger.") && pick(*it))
        out.push_back(it->position);
    return out;
  };
  const auto day_of = [](const eventstore::recorded_event& e) {
    return domain::format_date(std::chrono::floor<std::chrono::days>(
        domain::instant{std::chrono::milliseconds{e.metadata.recorded_at_ms}}));
  };
  const auto positions = [](const json& reply) {
    std::vector<std::uint64_t> out;
    for (const auto& e : reply["result"]["data"]["events"]) out.push_back(e["position"].get<std::uint64_t>());
    return out;
  };

  // The first day lies beyond the feed's lines.
  auto first_day = client_->query("activity", {{"from", "2026-03-02"}, {"to", "2026-03-02"}, {"limit", 1000}});
  ASSERT_TRUE(ok(first_day)) << (first_day ? first_day->dump() : "no reply");
  const auto want_first = expected([&](const auto& e) { return day_of(e) == "2026-03-02"; });
  ASSERT_GE(want_first.size(), 20u);
  EXPECT_GT((*first_day)["result"]["data"]["window_from"].get<std::uint64_t>(), want_first.front());
  EXPECT_EQ(positions(*first_day), want_first);
  EXPECT_FALSE((*first_day)["result"]["data"].contains("next_before"));
  for (const auto& e : (*first_day)["result"]["data"]["events"]) {
    EXPECT_EQ(e["at"].get<std::string>().substr(0, 10), "2026-03-02");
    if (e["stream"] == "risk-R-3") {
      EXPECT_NE(e["text"].get<std::string>().find("Ransomware on file server 3"), std::string::npos) << e;
    }
  }

  // One stream on one day.
  auto r7 = client_->query("activity", {{"stream", "risk-R-7"}, {"from", "2026-03-03"}, {"to", "2026-03-03"}, {"limit", 1000}});
  ASSERT_TRUE(ok(r7));
  const auto want_r7 = expected([&](const auto& e) { return e.stream == "risk-R-7" && day_of(e) == "2026-03-03"; });
  EXPECT_EQ(want_r7.size(), 30u);
  EXPECT_EQ(positions(*r7), want_r7);

  // Every assessment, 100 at a time, through the cursor.
  std::vector<std::uint64_t> paged;
  json params{{"type", "risk.assessed.v1"}, {"limit", 100}};
  for (int page = 0; page < 50; ++page) {
    auto r = client_->query("activity", params);
    ASSERT_TRUE(ok(r)) << (r ? r->dump() : "no reply");
    const auto got = positions(*r);
    EXPECT_LE(got.size(), 100u);
    paged.insert(paged.end(), got.begin(), got.end());
    if (!(*r)["result"]["data"].contains("next_before")) break;
    params["before"] = (*r)["result"]["data"]["next_before"];
  }
  EXPECT_EQ(paged, expected([](const auto& e) { return e.type == "risk.assessed.v1"; }));
  EXPECT_EQ(paged.size(), 70u * risks);

  // A day that is not one, and an empty range, are refused.
  auto bad = client_->query("activity", {{"from", "2026-02-30"}});
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ((*bad)["error"]["code"], "bad_request") << bad->dump();
  auto backwards = client_->query("activity", {{"from", "2026-03-04"}, {"to", "2026-03-03"}});
  ASSERT_TRUE(backwards.has_value());
  EXPECT_EQ((*backwards)["error"]["field"], "params.to") << backwards->dump();
}

}  // namespace
}  // namespace isms::history_scale_test
