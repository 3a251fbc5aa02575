// The Merkle tree the store keeps over its log: every root and proof it
// answers from its stored subtree roots equals the tree recomputed from the
// events' hashes, across group commits, reopening, an erasure and a store
// written before the tree was kept; a damaged tree is named, never served.
#include <future>

#include "isms/canonical/merkle.hpp"
#include "raw_db.hpp"
#include "test_support.hpp"

namespace isms::eventstore::merkle_store_test {
namespace {

namespace merkle = canonical::merkle;
using testing::events;
using testing::open_store;
using testing::raw_db;
using testing::temp_dir;

// The event hashes of the whole log, leaf i = position i + 1.
std::vector<digest> leaves_of(const store& s) {
  auto all = s.read_all(1, SIZE_MAX);
  EXPECT_TRUE(all);
  std::vector<digest> out;
  if (all)
    for (const auto& e : *all) out.push_back(e.hash);
  return out;
}

// Every root, and proofs for a spread of positions and sizes, against the
// tree recomputed from the leaves.
void expect_tree_of_the_log(const store& s) {
  const auto leaves = leaves_of(s);
  const merkle::leaf_source from = [&](std::uint64_t i) { return leaves.at(i); };
  const std::uint64_t n = leaves.size();
  for (std::uint64_t size = 0; size <= n; ++size) {
    auto root = s.merkle_root(size);
    ASSERT_TRUE(root) << root.error().message;
    ASSERT_EQ(*root, merkle::root(size, from)) << "size " << size;
  }
  for (std::uint64_t size = 1; size <= n; size += 7) {
    const digest root = merkle::root(size, from);
    for (std::uint64_t pos = 1; pos <= size; pos += 5) {
      auto proof = s.inclusion_proof(pos, size);
      ASSERT_TRUE(proof) << proof.error().message;
      EXPECT_TRUE(merkle::verify_inclusion(leaves[pos - 1], pos - 1, size, *proof, root)) << pos << " in " << size;
    }
    for (std::uint64_t to = size; to <= n; to += 11) {
      auto proof = s.consistency_proof(size, to);
      ASSERT_TRUE(proof) << proof.error().message;
      EXPECT_TRUE(merkle::verify_consistency(size, to, root, merkle::root(to, from), *proof)) << size << " → " << to;
    }
  }
}

TEST(merkle_store, roots_and_proofs_equal_the_tree_of_the_events_across_group_commits_and_reopening) {
  temp_dir dir;
  {
    auto s = open_store(dir.path());
    ASSERT_TRUE(s);
    auto empty = s->merkle_root(0);
    ASSERT_TRUE(empty);
    EXPECT_EQ(*empty, merkle::empty_root());
    // Appends of 1..5 events, many at once so that group commits hold several.
    std::vector<std::future<result<append_result>>> pending;
    for (int i = 0; i < 40; ++i) {
      auto promise = std::make_shared<std::promise<result<append_result>>>();
      pending.push_back(promise->get_future());
      s->append_async("risk-" + std::to_string(i % 6), expected_version::any(), events(1 + i % 5, i), "",
                      [promise](result<append_result> r) { promise->set_value(std::move(r)); });
    }
    for (auto& p : pending) ASSERT_TRUE(p.get());
    expect_tree_of_the_log(*s);
  }
  auto s = open_store(dir.path());  // the writer's frontier comes back from the stored roots
  ASSERT_TRUE(s);
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(s->append("risk-x", expected_version::any(), events(3, i), ""));
  expect_tree_of_the_log(*s);
  EXPECT_TRUE(s->verify());
}

TEST(merkle_store, sizes_and_positions_outside_the_log_are_refused) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s && s->append("risk-1", expected_version::any(), events(4), ""));
  EXPECT_EQ(s->merkle_root(5).error().code, errc::invalid_argument);
  EXPECT_EQ(s->inclusion_proof(0, 4).error().code, errc::invalid_argument);
  EXPECT_EQ(s->inclusion_proof(5, 4).error().code, errc::invalid_argument);
  EXPECT_EQ(s->inclusion_proof(1, 5).error().code, errc::invalid_argument);
  EXPECT_EQ(s->consistency_proof(0, 4).error().code, errc::invalid_argument);
  EXPECT_EQ(s->consistency_proof(3, 2).error().code, errc::invalid_argument);
  EXPECT_EQ(s->consistency_proof(2, 5).error().code, errc::invalid_argument);
  auto same = s->consistency_proof(4, 4);
  ASSERT_TRUE(same);
  EXPECT_TRUE(same->empty());
}

TEST(merkle_store, an_erasure_leaves_every_root_as_it_was) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s);
  std::vector<event_data> v;
  v.push_back(testing::make_event("user.registered.v1", {{"name", "Alice Example"}}));
  ASSERT_TRUE(s->append("user-alice", expected_version::any(), std::move(v), ""));
  ASSERT_TRUE(s->append("risk-1", expected_version::any(), events(6), ""));
  auto before = s->merkle_root(7);
  ASSERT_TRUE(before);
  erasure_request req;
  req.position = 1;
  req.fields = {"name"};
  req.reason = "GDPR Art. 17";
  req.metadata.actor = "u-admin";
  ASSERT_TRUE(s->erase_payload(req));
  auto after = s->merkle_root(7);
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, *before);  // the leaves are event hashes, which bind the payload's digest
  expect_tree_of_the_log(*s);
}

TEST(merkle_store, a_store_written_before_the_tree_was_kept_gets_it_on_open) {
  temp_dir dir;
  {
    auto s = open_store(dir.path());
    ASSERT_TRUE(s);
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(s->append("risk-" + std::to_string(i % 3), expected_version::any(), events(1 + i % 4, i), ""));
  }
  {
    // What such a store holds: no subtree roots and no tree size.
    raw_db raw(dir.path());
    raw.erase("chain", "merkle_size");
    std::unique_ptr<rocksdb::Iterator> it(raw.db().NewIterator(rocksdb::ReadOptions(), raw.cf("merkle")));
    std::vector<std::string> keys;
    for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
    ASSERT_FALSE(keys.empty());
    for (const auto& k : keys) raw.erase("merkle", k);
  }
  auto s = open_store(dir.path());
  ASSERT_TRUE(s);
  expect_tree_of_the_log(*s);
  ASSERT_TRUE(s->append("risk-9", expected_version::any(), events(5), ""));
  expect_tree_of_the_log(*s);
}

TEST(merkle_store, a_damaged_subtree_root_is_named_by_open_or_verify) {
  temp_dir dir;
  {
    auto s = open_store(dir.path());
    ASSERT_TRUE(s);
    for (int i = 0; i < 12; ++i) ASSERT_TRUE(s->append("risk-1", expected_version::any(), events(3, i), ""));
  }
  const auto key = [](unsigned level, std::uint64_t index) {
    std::string k(1, static_cast<char>(level));
    return k + raw_db::key(index);
  };
  // The last leaf is checked against the head on open.
  {
    raw_db raw(dir.path());
    std::string v = raw.get("merkle", key(0, 35));
    v[0] ^= 0x01;
    raw.put("merkle", key(0, 35), v);
  }
  auto open_error = store::open(options{}, dir.path());
  ASSERT_FALSE(open_error);
  EXPECT_EQ(open_error.error().code, errc::corrupted);
  EXPECT_EQ(open_error.error().position, 36u);
  {
    raw_db raw(dir.path());
    std::string v = raw.get("merkle", key(0, 35));
    v[0] ^= 0x01;
    raw.put("merkle", key(0, 35), v);
    // The root of the first 32 leaves is part of every tree head from 32 on.
    v = raw.get("merkle", key(5, 0));
    v[9] ^= 0x01;
    raw.put("merkle", key(5, 0), v);
  }
  auto s = open_store(dir.path());
  ASSERT_TRUE(s);
  auto r = s->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::corrupted);
  EXPECT_NE(r.error().message.find("Merkle"), std::string::npos) << r.error().message;
}

// The rewrite a hash chain alone cannot show: the same first events, then a
// different tail with a consistent chain and head. A tree head kept from
// before (a signed checkpoint's root) is not extended by the rewritten log.
TEST(merkle_store, a_rewritten_tail_is_not_consistent_with_a_tree_head_kept_from_before) {
  temp_dir honest_dir, forged_dir;
  auto honest = open_store(honest_dir.path());
  auto forged = open_store(forged_dir.path());
  ASSERT_TRUE(honest && forged);
  for (int i = 0; i < 20; ++i)
    for (auto* s : {honest.get(), forged.get()})
      ASSERT_TRUE(s->append("risk-" + std::to_string(i % 3), expected_version::any(), events(1, i), ""));
  for (int i = 20; i < 25; ++i)
    ASSERT_TRUE(honest->append("risk-1", expected_version::any(), events(1, i), ""));
  const std::uint64_t kept_size = 25;
  auto kept_root = honest->merkle_root(kept_size);
  ASSERT_TRUE(kept_root);

  // The forger keeps positions 1..20, rewrites 21..25 and appends more.
  for (int i = 20; i < 25; ++i)
    ASSERT_TRUE(forged->append("risk-1", expected_version::any(), events(1, 1000 + i), ""));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(forged->append("risk-2", expected_version::any(), events(1, 2000 + i), ""));
    ASSERT_TRUE(honest->append("risk-2", expected_version::any(), events(1, 2000 + i), ""));
  }
  EXPECT_TRUE(forged->verify());  // its own chain is perfectly consistent
  const std::uint64_t new_size = forged->current_head().position;
  auto forged_root = forged->merkle_root(new_size);
  auto forged_proof = forged->consistency_proof(kept_size, new_size);
  ASSERT_TRUE(forged_root && forged_proof);
  EXPECT_FALSE(merkle::verify_consistency(kept_size, new_size, *kept_root, *forged_root, *forged_proof));
  auto honest_root = honest->merkle_root(new_size);
  auto honest_proof = honest->consistency_proof(kept_size, new_size);
  ASSERT_TRUE(honest_root && honest_proof);
  EXPECT_TRUE(merkle::verify_consistency(kept_size, new_size, *kept_root, *honest_root, *honest_proof));
  // The same first 20 events: the forger's tree of size 20 is the honest one.
  EXPECT_EQ(*forged->merkle_root(20), *honest->merkle_root(20));
}

}  // namespace
}  // namespace isms::eventstore::merkle_store_test
