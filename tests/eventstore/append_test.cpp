// Appends and reads: optimistic concurrency, gapless positions, idempotency,
// atomicity, every bound, shutdown draining the queue.
#include <atomic>
#include <barrier>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "test_support.hpp"

namespace isms::eventstore::append_test {
namespace {

using testing::events;
using testing::in_lockstep;
using testing::make_event;
using testing::one_event;
using testing::open_store;
using testing::temp_dir;

TEST(append, assigns_versions_and_gapless_positions_and_reads_back) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s);
  auto a = s->append("risk-R-1", expected_version::no_stream(), events(3), "cmd-1");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->first_position, 1u);
  EXPECT_EQ(a->last_position, 3u);
  EXPECT_EQ(a->version, 3u);
  EXPECT_FALSE(a->duplicate);
  auto b = s->append("risk-R-2", expected_version::any(), one_event(), "cmd-2");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->first_position, 4u);
  EXPECT_EQ(b->version, 1u);

  auto r1 = s->read_stream("risk-R-1");
  ASSERT_TRUE(r1);
  ASSERT_EQ(r1->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*r1)[i].version, i + 1);
    EXPECT_EQ((*r1)[i].position, i + 1);
    EXPECT_EQ((*r1)[i].type, "risk.assessed.v1");
    EXPECT_EQ((*r1)[i].data.at("n"), static_cast<int>(i));
    EXPECT_EQ((*r1)[i].metadata.actor, "u-alice");
    EXPECT_EQ((*r1)[i].metadata.command_id, "cmd-1");  // filled from the append's command id
  }
  auto tail = s->read_stream("risk-R-1", 2, 1);
  ASSERT_TRUE(tail);
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ(tail->front().version, 2u);

  auto all = s->read_all(0, 100);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ(all->at(0).prev_hash, digest{});
  for (std::size_t i = 1; i < all->size(); ++i) EXPECT_EQ(all->at(i).prev_hash, all->at(i - 1).hash);
  EXPECT_EQ(s->current_head().position, 4u);
  EXPECT_EQ(s->current_head().hash, all->back().hash);
  EXPECT_EQ(*s->stream_version("risk-R-1"), 3u);
  EXPECT_EQ(*s->stream_version("risk-R-404"), 0u);
  EXPECT_TRUE(s->read_stream("risk-R-404")->empty());
  EXPECT_EQ(s->read_all(3, 1)->front().position, 3u);
  EXPECT_TRUE(s->read_all(5, 10)->empty());
}

TEST(scan, visits_committed_events_in_order_without_copies_and_stops_when_asked) {
  temp_dir dir;
  auto s = open_store(dir.path());
  for (int i = 0; i < 10; ++i) {
    auto ev = events(3, i * 3);
    ev[0].metadata.extra = {{"comment", "why " + std::to_string(i)}};
    ASSERT_TRUE(s->append("risk-" + std::to_string(i % 3), expected_version::any(), std::move(ev), "c" + std::to_string(i)));
  }
  auto all = s->read_all(1, SIZE_MAX);
  ASSERT_TRUE(all);
  std::vector<std::uint64_t> seen;
  auto n = s->scan(0, UINT64_MAX, [&](const event_view& v) {
    const recorded_event& e = (*all)[v.position - 1];
    EXPECT_EQ(v.stream, e.stream);
    EXPECT_EQ(v.version, e.version);
    EXPECT_EQ(v.type, e.type);
    EXPECT_EQ(v.data_json, *canonical_json(e.data));
    EXPECT_EQ(v.command_id, e.metadata.command_id);
    EXPECT_EQ(v.hash, e.hash);
    auto m = v.materialize();
    EXPECT_TRUE(m && m->data == e.data && m->metadata.extra == e.metadata.extra && m->hash == e.hash);
    seen.push_back(v.position);
    return true;
  });
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 30u);
  ASSERT_EQ(seen.size(), 30u);
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);

  std::vector<std::uint64_t> part;
  auto m = s->scan(5, 12, [&](const event_view& v) {
    part.push_back(v.position);
    return v.position < 9;  // stop after 9
  });
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, 5u);
  EXPECT_EQ(part, (std::vector<std::uint64_t>{5, 6, 7, 8, 9}));
  EXPECT_EQ(*s->scan(31, 40, [](const event_view&) { return true; }), 0u);
}

TEST(append, state_survives_reopen) {
  temp_dir dir;
  digest h{};
  {
    auto s = open_store(dir.path());
    ASSERT_TRUE(s->append("obj-1", expected_version::no_stream(), events(2), "c1"));
    h = s->current_head().hash;
  }
  auto s = open_store(dir.path());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->current_head().position, 2u);
  EXPECT_EQ(s->current_head().hash, h);
  EXPECT_EQ(s->append("obj-1", expected_version::no_stream(), one_event(), "c2").error().code, errc::conflict);
  auto r = s->append("obj-1", expected_version::exact(2), one_event(), "c3");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first_position, 3u);
  EXPECT_EQ(r->version, 3u);
  EXPECT_EQ(s->read_all(3, 1)->front().prev_hash, h);
  EXPECT_TRUE(s->append("obj-1", expected_version::any(), one_event(), "c1")->duplicate);
}

TEST(append, expected_version_mismatch_is_a_conflict_and_writes_nothing) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s->append("nc-1", expected_version::no_stream(), one_event(), ""));
  auto r = s->append("nc-1", expected_version::exact(5), events(2), "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::conflict);
  EXPECT_EQ(s->append("nc-1", expected_version::no_stream(), one_event(), "").error().code, errc::conflict);
  EXPECT_EQ(s->append("nc-2", expected_version::exact(1), one_event(), "").error().code, errc::conflict);
  EXPECT_EQ(s->current_head().position, 1u);
  EXPECT_EQ(*s->stream_version("nc-1"), 1u);
  EXPECT_EQ(*s->stream_version("nc-2"), 0u);
}

TEST(append, eight_threads_racing_on_one_stream_exactly_one_wins_each_version) {
  temp_dir dir;
  auto s = open_store(dir.path());
  constexpr int threads = 8;
  constexpr int rounds = 40;
  std::atomic<int> wins[rounds] = {};
  std::atomic<int> conflicts{0};
  std::atomic<int> other{0};
  // Every thread attempts version round + 1 together.
  in_lockstep(threads, rounds, [&](int t, int round) {
    auto r = s->append("risk-race", expected_version::exact(static_cast<std::uint64_t>(round)), one_event(t), "");
    if (r) {
      wins[round]++;
      if (r->version != static_cast<std::uint64_t>(round + 1)) other++;
    } else if (r.error().code == errc::conflict) {
      conflicts++;
    } else {
      other++;
    }
  });
  for (int round = 0; round < rounds; ++round) EXPECT_EQ(wins[round].load(), 1) << "version " << round + 1;
  EXPECT_EQ(conflicts.load(), rounds * (threads - 1));
  EXPECT_EQ(other.load(), 0);
  auto stream = s->read_stream("risk-race");
  ASSERT_TRUE(stream);
  ASSERT_EQ(stream->size(), static_cast<std::size_t>(rounds));
  for (int i = 0; i < rounds; ++i) EXPECT_EQ((*stream)[i].version, static_cast<std::uint64_t>(i + 1));
}

TEST(append, positions_are_gapless_across_many_streams_and_threads) {
  temp_dir dir;
  auto s = open_store(dir.path());
  constexpr int threads = 12;
  constexpr int per_thread = 150;
  std::mutex mu;
  std::vector<append_result> results;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const std::string stream = "risk-" + std::to_string((t * 7 + i) % 16);
        auto r = s->append(stream, expected_version::any(), events(1 + i % 3, i), "");
        ASSERT_TRUE(r) << r.error().message;
        std::lock_guard lk(mu);
        results.push_back(*r);
      }
    });
  }
  for (auto& t : ts) t.join();
  std::set<std::uint64_t> positions;
  for (const auto& r : results)
    for (auto p = r.first_position; p <= r.last_position; ++p) EXPECT_TRUE(positions.insert(p).second) << p;
  ASSERT_FALSE(positions.empty());
  EXPECT_EQ(*positions.begin(), 1u);
  EXPECT_EQ(*positions.rbegin(), positions.size());  // 1..N, no gap, no duplicate
  EXPECT_EQ(s->current_head().position, positions.size());

  auto all = s->read_all(1, SIZE_MAX);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), positions.size());
  std::map<std::string, std::uint64_t> last_version;
  for (std::size_t i = 0; i < all->size(); ++i) {
    const auto& e = (*all)[i];
    EXPECT_EQ(e.position, i + 1);
    EXPECT_EQ(e.version, ++last_version[e.stream]) << e.stream;  // per stream 1..k in position order
  }
  for (const auto& [stream, v] : last_version) EXPECT_EQ(*s->stream_version(stream), v);
  EXPECT_TRUE(s->verify().has_value());
}

TEST(idempotency, a_repeated_command_id_returns_the_original_and_writes_nothing) {
  temp_dir dir;
  auto s = open_store(dir.path());
  auto first = s->append("risk-R-1", expected_version::no_stream(), events(2), "cmd-accept-1");
  ASSERT_TRUE(first);
  // Same command id, different expectation and events: answered from the record.
  auto again = s->append("risk-R-1", expected_version::no_stream(), events(5), "cmd-accept-1");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->first_position, first->first_position);
  EXPECT_EQ(again->last_position, first->last_position);
  EXPECT_EQ(again->version, first->version);
  EXPECT_EQ(s->current_head().position, 2u);
  // An empty command id is never a duplicate.
  ASSERT_TRUE(s->append("risk-R-1", expected_version::any(), one_event(), ""));
  ASSERT_TRUE(s->append("risk-R-1", expected_version::any(), one_event(), ""));
  EXPECT_EQ(s->current_head().position, 4u);
  // A rejected append does not store its command id.
  EXPECT_EQ(s->append("risk-R-9", expected_version::exact(3), one_event(), "cmd-x").error().code, errc::conflict);
  auto later = s->append("risk-R-9", expected_version::no_stream(), one_event(), "cmd-x");
  ASSERT_TRUE(later);
  EXPECT_FALSE(later->duplicate);
}

TEST(idempotency, find_command_answers_with_the_original_result) {
  temp_dir dir;
  auto s = open_store(dir.path());
  auto first = s->append("risk-R-1", expected_version::no_stream(), events(2), "cmd-identify-1");
  ASSERT_TRUE(first);
  auto found = s->find_command("cmd-identify-1");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_TRUE((*found)->duplicate);
  EXPECT_EQ((*found)->first_position, first->first_position);
  EXPECT_EQ((*found)->last_position, first->last_position);
  EXPECT_EQ((*found)->version, first->version);
  auto missing = s->find_command("cmd-never-sent");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  // A rejected append stores no command id to be found.
  ASSERT_FALSE(s->append("risk-R-1", expected_version::exact(7), one_event(), "cmd-stale"));
  EXPECT_FALSE(s->find_command("cmd-stale")->has_value());
}

TEST(idempotency, concurrent_duplicates_write_once) {
  temp_dir dir;
  auto s = open_store(dir.path());
  constexpr int threads = 8;
  constexpr int rounds = 20;
  std::atomic<int> originals{0};
  std::mutex mu;
  std::map<int, std::set<std::uint64_t>> first_positions;
  in_lockstep(threads, rounds, [&](int t, int round) {
    auto r = s->append("obj-" + std::to_string(round), expected_version::any(), events(2, t),
                       "cmd-" + std::to_string(round));
    ASSERT_TRUE(r) << r.error().message;
    if (!r->duplicate) originals++;
    std::lock_guard lk(mu);
    first_positions[round].insert(r->first_position);
  });
  EXPECT_EQ(originals.load(), rounds);
  for (auto& [round, ps] : first_positions) EXPECT_EQ(ps.size(), 1u) << "round " << round;
  EXPECT_EQ(s->current_head().position, static_cast<std::uint64_t>(2 * rounds));
  for (int round = 0; round < rounds; ++round)
    EXPECT_EQ(*s->stream_version("obj-" + std::to_string(round)), 2u);
}

TEST(idempotency, duplicates_queued_in_one_group_commit_write_once) {
  temp_dir dir;
  auto s = open_store(dir.path());
  // Many asynchronous appends of few command ids: whatever the grouping, each
  // command id lands once and every answer names the same positions.
  constexpr int appends = 400;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  std::map<std::string, std::set<std::uint64_t>> positions;
  std::map<std::string, int> originals;
  for (int i = 0; i < appends; ++i) {
    const std::string cmd = "cmd-" + std::to_string(i % 10);
    s->append_async("risk-" + std::to_string(i % 10), expected_version::any(), one_event(i), cmd,
                    [&, cmd](result<append_result> r) {
                      std::lock_guard lk(mu);
                      if (!r) {
                        ADD_FAILURE() << r.error().message;
                      } else {
                        positions[cmd].insert(r->first_position);
                        if (!r->duplicate) originals[cmd]++;
                      }
                      if (++done == appends) cv.notify_one();
                    });
  }
  std::unique_lock lk(mu);
  cv.wait(lk, [&] { return done == appends; });
  EXPECT_EQ(s->current_head().position, 10u);
  for (const auto& [cmd, ps] : positions) {
    EXPECT_EQ(ps.size(), 1u) << cmd;
    EXPECT_EQ(originals[cmd], 1) << cmd;
  }
}

TEST(atomicity, a_rejected_multi_event_append_writes_none_of_its_events) {
  temp_dir dir;
  options o;
  o.max_event_bytes = 2048;
  auto s = open_store(dir.path(), o);
  ASSERT_TRUE(s->append("doc-1", expected_version::no_stream(), events(2), "c0"));
  // The third event is too large: the first two must not land either.
  auto batch = events(3);
  batch[2].data["blob"] = std::string(4096, 'x');
  auto r = s->append("doc-1", expected_version::exact(2), std::move(batch), "c1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::too_large);
  // A conflicting multi-event append: nothing either.
  EXPECT_EQ(s->append("doc-1", expected_version::exact(1), events(4), "c2").error().code, errc::conflict);
  // An invalid type in the middle: nothing either.
  auto mixed = events(3);
  mixed[1].type = "NotAType";
  EXPECT_EQ(s->append("doc-1", expected_version::exact(2), std::move(mixed), "c3").error().code, errc::invalid_type);

  EXPECT_EQ(s->current_head().position, 2u);
  EXPECT_EQ(*s->stream_version("doc-1"), 2u);
  EXPECT_EQ(s->read_all(1, 100)->size(), 2u);
  // None of the rejected command ids was stored.
  auto ok = s->append("doc-1", expected_version::exact(2), events(2), "c1");
  ASSERT_TRUE(ok);
  EXPECT_FALSE(ok->duplicate);
  EXPECT_EQ(ok->last_position, 4u);
}

class bounds : public ::testing::Test {
 protected:
  void SetUp() override {
    options o;
    o.max_event_bytes = 1000;
    o.max_events_per_append = 5;
    o.max_stream_name = 20;
    o.max_type_name = 30;
    o.max_command_id = 10;
    store_ = open_store(dir_.path(), o);
    ASSERT_TRUE(store_);
  }
  errc code_of(std::string_view stream, std::vector<event_data> ev, std::string_view cmd = "") {
    auto r = store_->append(stream, expected_version::any(), std::move(ev), cmd);
    return r ? errc{} : r.error().code;
  }
  void TearDown() override {
    EXPECT_EQ(store_->current_head().position, 0u) << "a rejected append wrote something";
  }
  temp_dir dir_;
  std::unique_ptr<store> store_;
};

TEST_F(bounds, event_size) {
  auto ev = one_event();
  ev[0].data["blob"] = std::string(1000, 'x');
  EXPECT_EQ(code_of("risk-1", std::move(ev)), errc::too_large);
  auto meta = one_event();
  meta[0].metadata.extra = {{"comment", std::string(1000, 'c')}};
  EXPECT_EQ(code_of("risk-1", std::move(meta)), errc::too_large);
}

TEST_F(bounds, events_per_append_and_empty_append) {
  EXPECT_EQ(code_of("risk-1", events(6)), errc::too_many_events);
  EXPECT_EQ(code_of("risk-1", {}), errc::empty_append);
}

TEST_F(bounds, stream_syntax_and_length) {
  for (std::string bad : std::vector<std::string>{"", "-risk", "risk 1", "risk/1", "risk\n", "ris\xc3\xa9", std::string(21, 'a'),
                          std::string("risk\0x", 6)})
    EXPECT_EQ(code_of(bad, one_event()), errc::invalid_stream) << bad;
  EXPECT_EQ(store_->read_stream("a b").error().code, errc::invalid_stream);
  EXPECT_EQ(store_->stream_version("").error().code, errc::invalid_stream);
}

TEST_F(bounds, type_syntax_and_length) {
  for (std::string bad : {"", "risk", "risk.accepted", "Risk.accepted.v1", "risk.accepted.V1", "risk..x.v1",
                          "risk.accepted.v0", "risk.accepted.v01", "1risk.x.v1", "risk-accepted.v1",
                          ".risk.v1", "risk.v1.", "risk.accepted.vx", "risk.aaaaaaaaaaaaaaaaaaaaaaaaa.v1"}) {
    auto ev = one_event();
    ev[0].type = bad;
    EXPECT_EQ(code_of("risk-1", std::move(ev)), errc::invalid_type) << bad;
  }
}

TEST_F(bounds, payload_and_metadata_content) {
  auto nan = one_event();
  nan[0].data["x"] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(code_of("risk-1", std::move(nan)), errc::invalid_data);
  auto utf = one_event();
  utf[0].metadata.actor = "\xff";
  EXPECT_EQ(code_of("risk-1", std::move(utf)), errc::invalid_data);
  auto extra = one_event();
  extra[0].metadata.extra = "not an object";
  EXPECT_EQ(code_of("risk-1", std::move(extra)), errc::invalid_data);
}

TEST_F(bounds, command_id_length) {
  EXPECT_EQ(code_of("risk-1", one_event(), std::string(11, 'c')), errc::invalid_command_id);
}

TEST(accepted_limits, the_largest_allowed_values_are_stored) {
  temp_dir dir;
  options o;
  o.max_events_per_append = 5;
  o.max_stream_name = 20;
  o.max_event_bytes = 4096;
  auto s = open_store(dir.path(), o);
  auto ev = events(5);
  ev[0].data["blob"] = std::string(3000, 'x');
  ev[1].data["f"] = 0.1;
  auto r = s->append(std::string(20, 'a'), expected_version::any(), std::move(ev), "c");
  ASSERT_TRUE(r) << r.error().message;
  auto back = s->read_stream(std::string(20, 'a'));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 5u);
  EXPECT_EQ((*back)[0].data.at("blob").get<std::string>().size(), 3000u);
  EXPECT_DOUBLE_EQ((*back)[1].data.at("f").get<double>(), 0.1);
}

TEST(queue, a_full_queue_refuses_with_busy_and_writes_nothing_for_it) {
  temp_dir dir;
  options o;
  o.max_queued_appends = 2;
  auto s = open_store(dir.path(), o);
  // Hold the writer inside a completion so that the queue cannot drain.
  std::latch writer_held(1), release(1);
  s->append_async("risk-1", expected_version::any(), one_event(0), "a", [&](result<append_result> r) {
    EXPECT_TRUE(r);
    writer_held.count_down();
    release.wait();
  });
  writer_held.wait();
  std::latch queued_done(2);
  for (const char* cmd : {"b", "c"})
    s->append_async("risk-1", expected_version::any(), one_event(1), cmd, [&](result<append_result> r) {
      EXPECT_TRUE(r);
      queued_done.count_down();
    });
  std::optional<error> refused;
  s->append_async("risk-1", expected_version::any(), one_event(2), "d",
                  [&](result<append_result> r) { refused = r ? std::nullopt : std::optional(r.error()); });
  ASSERT_TRUE(refused);  // refused synchronously, before append_async returned
  EXPECT_EQ(refused->code, errc::busy);
  release.count_down();
  queued_done.wait();
  EXPECT_EQ(s->current_head().position, 3u);
  // The refused command id was not stored: it can be appended now.
  auto d = s->append("risk-1", expected_version::any(), one_event(3), "d");
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->duplicate);
}

TEST(shutdown, destroying_the_store_completes_every_accepted_append) {
  temp_dir dir;
  constexpr int n = 2000;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  {
    auto s = open_store(dir.path());
    for (int i = 0; i < n; ++i)
      s->append_async("obj-" + std::to_string(i % 7), expected_version::any(), one_event(i), "c" + std::to_string(i),
                      [&](result<append_result> r) { r ? ok++ : failed++; });
  }  // the destructor drains the queue before returning
  EXPECT_EQ(ok.load(), n);
  EXPECT_EQ(failed.load(), 0);
  auto s = open_store(dir.path());
  EXPECT_EQ(s->current_head().position, static_cast<std::uint64_t>(n));
  EXPECT_TRUE(s->verify().has_value());
}

TEST(open, without_create_if_missing_an_empty_directory_is_not_found) {
  temp_dir dir;
  options o;
  o.create_if_missing = false;
  auto s = store::open(o, dir.path());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::not_found);
}

}  // namespace
}  // namespace isms::eventstore::append_test
