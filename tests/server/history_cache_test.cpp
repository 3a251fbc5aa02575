// The command pipeline's cache of stream histories, against a real store: a
// history it hands out always equals the store's read of the stream.
#include <gtest/gtest.h>

#include <filesystem>

#include "isms/server/history_cache.hpp"
#include "support/ismsd_process.hpp"

namespace isms::server::history_cache_test {
namespace {

namespace es = eventstore;
using json = nlohmann::json;

struct temp_store {
  std::filesystem::path dir = testing::make_temp_dir("history-cache");
  std::unique_ptr<es::store> store;
  temp_store() {
    auto s = es::store::open(es::options{}, dir);
    if (!s) throw std::runtime_error(s.error().message);
    store = std::move(*s);
  }
  ~temp_store() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  void append(const std::string& stream, int n, int base = 0) {
    std::vector<es::event_data> evs;
    for (int i = 0; i < n; ++i) {
      es::event_data e;
      e.type = "user.registered.v1";
      e.data = json{{"n", base + i}, {"email", "someone@example.org"}};
      e.metadata.actor = "u-admin";
      e.metadata.recorded_at_ms = 1764460800000 + base + i;
      evs.push_back(std::move(e));
    }
    auto r = store->append(stream, es::expected_version::any(), std::move(evs), "");
    if (!r) throw std::runtime_error(r.error().message);
  }
};

// The history as the store holds it now, the way the cache builds it.
history_cache::history from_store(const es::store& s, const std::string& stream) {
  history_cache::history out;
  auto stored = s.read_stream(stream);
  EXPECT_TRUE(stored);
  if (!stored) return out;
  for (auto& e : *stored) out.push_back(to_domain_moved(std::move(e)));
  return out;
}

void expect_same(const history_cache::history& got, const history_cache::history& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].position, want[i].position) << i;
    EXPECT_EQ(got[i].version, want[i].version) << i;
    EXPECT_EQ(got[i].type, want[i].type) << i;
    EXPECT_EQ(got[i].data, want[i].data) << i;
    EXPECT_EQ(got[i].meta.recorded_at, want[i].meta.recorded_at) << i;
  }
}

TEST(history_cache, a_history_read_through_the_cache_equals_the_stores_as_the_stream_grows) {
  temp_store ts;
  history_cache cache(1000);
  ts.append("user-a", 3);
  ts.append("user-b", 2);

  auto first = cache.read(*ts.store, "user-a");
  ASSERT_TRUE(first);
  expect_same(*first->events, from_store(*ts.store, "user-a"));
  cache.put(*first);
  EXPECT_EQ(cache.events_held(), 3u);

  // Nothing appended since: the same history, not read again.
  auto again = cache.read(*ts.store, "user-a");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->version(), 3u);
  expect_same(*again->events, from_store(*ts.store, "user-a"));
  cache.put(std::move(*again));

  // Appended since (here not even through the pipeline, with other streams
  // in between): the cached part plus the new events, equal to the store's.
  ts.append("user-a", 2, 10);
  ts.append("user-b", 1, 20);
  ts.append("user-a", 1, 30);
  auto grown = cache.read(*ts.store, "user-a");
  ASSERT_TRUE(grown);
  EXPECT_EQ(grown->version(), 6u);
  expect_same(*grown->events, from_store(*ts.store, "user-a"));

  // A history still held by a reader is never changed under it: the first
  // lease still shows version 3.
  EXPECT_EQ(first->events->size(), 3u);
  expect_same(*first->events, [&] {
    auto h = from_store(*ts.store, "user-a");
    h.resize(3);
    return h;
  }());
  cache.put(std::move(*grown));
  auto after = cache.read(*ts.store, "user-a");
  ASSERT_TRUE(after);
  expect_same(*after->events, from_store(*ts.store, "user-a"));
}

TEST(history_cache, after_an_erasure_nothing_read_before_it_is_handed_out) {
  temp_store ts;
  history_cache cache(1000);
  ts.append("user-a", 3);
  auto before = cache.read(*ts.store, "user-a");
  ASSERT_TRUE(before);
  cache.put(*before);
  auto in_flight = cache.read(*ts.store, "user-a");  // a command deciding while the erasure happens
  ASSERT_TRUE(in_flight);

  es::erasure_request req;
  req.position = 2;
  req.fields = {"email"};
  req.reason = "GDPR Art. 17, request DSR-2026-004";
  req.metadata.actor = "u-admin";
  req.metadata.recorded_at_ms = 1764460900000;
  ASSERT_TRUE(ts.store->erase_payload(req));
  cache.forget_all();
  cache.put(std::move(*in_flight));  // read before the erasure: not kept

  auto now = cache.read(*ts.store, "user-a");
  ASSERT_TRUE(now);
  expect_same(*now->events, from_store(*ts.store, "user-a"));
  EXPECT_NE((*now->events)[1].data, (*before->events)[1].data) << "the erased payload was handed out";
}

TEST(history_cache, holds_at_most_its_bound_of_events_dropping_the_least_recently_used) {
  temp_store ts;
  history_cache cache(10);
  for (int i = 0; i < 6; ++i) ts.append("user-" + std::to_string(i), 4);
  for (int i = 0; i < 6; ++i) {
    auto l = cache.read(*ts.store, "user-" + std::to_string(i));
    ASSERT_TRUE(l);
    cache.put(std::move(*l));
    EXPECT_LE(cache.events_held(), 10u);
  }
  EXPECT_EQ(cache.events_held(), 8u);  // the last two streams
  // Too long to keep at all, and an unknown stream (nothing to keep).
  ts.append("user-long", 11);
  auto l = cache.read(*ts.store, "user-long");
  ASSERT_TRUE(l);
  cache.put(std::move(*l));
  auto none = cache.read(*ts.store, "user-nobody");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->events->empty());
  cache.put(std::move(*none));
  EXPECT_LE(cache.events_held(), 10u);
  // Off: nothing kept.
  history_cache off(0);
  auto o = off.read(*ts.store, "user-0");
  ASSERT_TRUE(o);
  off.put(std::move(*o));
  EXPECT_EQ(off.events_held(), 0u);
}

// A state as an aggregate would hand it out; only its version matters here.
struct state_at final : domain::folded_state {
  explicit state_at(std::uint64_t v) : v_(v) {}
  [[nodiscard]] std::uint64_t version() const override { return v_; }
  [[nodiscard]] std::uint64_t position() const override { return v_ * 10; }
  std::uint64_t v_;
};

std::uint64_t version_held(const state_cache& c, std::string_view stream) {
  auto l = c.get(stream);
  return l.state ? l.state->version() : 0;
}

TEST(state_cache, keeps_the_latest_version_of_each_stream_within_its_bound) {
  state_cache cache(2);
  cache.put("risk-a", std::make_shared<state_at>(3), cache.get("risk-a").generation);
  // An older state, decided on by a slower command, does not replace a newer one.
  cache.put("risk-a", std::make_shared<state_at>(2), cache.get("risk-a").generation);
  EXPECT_EQ(version_held(cache, "risk-a"), 3u);
  cache.put("risk-a", std::make_shared<state_at>(5), cache.get("risk-a").generation);
  EXPECT_EQ(version_held(cache, "risk-a"), 5u);
  cache.put("risk-b", std::make_shared<state_at>(1), 0);
  EXPECT_EQ(version_held(cache, "risk-a"), 5u);  // a used last: b goes first
  cache.put("risk-c", std::make_shared<state_at>(1), 0);
  EXPECT_EQ(cache.streams_held(), 2u);
  EXPECT_EQ(version_held(cache, "risk-b"), 0u);
  EXPECT_EQ(version_held(cache, "risk-a"), 5u);
  EXPECT_EQ(version_held(cache, "risk-c"), 1u);

  state_cache off(0);
  off.put("risk-a", std::make_shared<state_at>(1), 0);
  EXPECT_EQ(off.streams_held(), 0u);
}

TEST(state_cache, after_an_erasure_no_state_folded_before_it_is_kept) {
  state_cache cache(10);
  const auto before = cache.get("user-a").generation;  // a command deciding while the erasure happens
  cache.put("user-a", std::make_shared<state_at>(3), before);
  cache.forget_all();
  EXPECT_EQ(cache.streams_held(), 0u);
  cache.put("user-a", std::make_shared<state_at>(4), before);  // folded from what was read before: not kept
  EXPECT_EQ(version_held(cache, "user-a"), 0u);
  cache.put("user-a", std::make_shared<state_at>(4), cache.get("user-a").generation);
  EXPECT_EQ(version_held(cache, "user-a"), 4u);
}

}  // namespace
}  // namespace isms::server::history_cache_test
