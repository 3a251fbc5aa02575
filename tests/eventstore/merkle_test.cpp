// The Merkle tree over the log (isms/canonical/merkle.hpp, RFC 9162 2.1):
// known roots, the incremental tree head, and inclusion and consistency proofs
// that verify — and stop verifying once anything in them is changed.

#include "isms/canonical/merkle.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace isms::canonical::merkle::merkle_test {
namespace {

// n leaves, each the SHA-256 of its own index (as event hashes are digests).
std::vector<digest> leaves_of(std::uint64_t n) {
  std::vector<digest> out;
  for (std::uint64_t i = 0; i < n; ++i) out.push_back(sha256("event " + std::to_string(i)));
  return out;
}

leaf_source source(const std::vector<digest>& leaves) {
  return [&leaves](std::uint64_t i) { return leaves.at(i); };
}

digest flipped(digest d) {
  d[7] ^= 0x01;
  return d;
}

TEST(merkle, known_hashes_of_the_empty_tree_and_of_one_leaf) {
  EXPECT_EQ(to_hex(empty_root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // RFC 9162: a leaf is hashed with the prefix 0x00; the empty leaf's hash is SHA-256(0x00).
  EXPECT_EQ(to_hex(leaf_hash(std::string_view{})), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST(merkle, the_root_splits_at_the_largest_power_of_two_below_the_size) {
  const auto l = leaves_of(3);
  const digest two = node_hash(leaf_hash(l[0]), leaf_hash(l[1]));
  EXPECT_EQ(root(2, source(l)), two);
  EXPECT_EQ(root(3, source(l)), node_hash(two, leaf_hash(l[2])));
  EXPECT_EQ(root(1, source(l)), leaf_hash(l[0]));
}

TEST(merkle, the_incremental_head_equals_the_root_at_every_size) {
  const auto l = leaves_of(130);
  frontier f;
  EXPECT_EQ(f.root(), empty_root());
  for (std::uint64_t n = 1; n <= l.size(); ++n) {
    f.append(l[n - 1]);
    ASSERT_EQ(f.size(), n);
    ASSERT_EQ(f.root(), root(n, source(l))) << "size " << n;
  }
}

TEST(merkle, every_leaf_has_an_inclusion_proof_that_verifies_and_no_other_does) {
  const auto l = leaves_of(37);
  for (std::uint64_t n = 1; n <= l.size(); ++n) {
    const digest r = root(n, source(l));
    for (std::uint64_t i = 0; i < n; ++i) {
      const auto proof = inclusion_proof(i, n, source(l));
      ASSERT_TRUE(verify_inclusion(l[i], i, n, proof, r)) << i << " of " << n;
      EXPECT_FALSE(verify_inclusion(flipped(l[i]), i, n, proof, r)) << "another leaf";
      EXPECT_FALSE(verify_inclusion(l[i], i, n, proof, flipped(r))) << "another root";
      if (n > 1) {
        EXPECT_FALSE(verify_inclusion(l[i], (i + 1) % n, n, proof, r)) << "another index";
      }
      EXPECT_FALSE(verify_inclusion(l[i], i + n, n, proof, r)) << "an index past the tree";
      for (std::size_t k = 0; k < proof.size(); ++k) {
        auto tampered = proof;
        tampered[k] = flipped(tampered[k]);
        EXPECT_FALSE(verify_inclusion(l[i], i, n, tampered, r)) << "hash " << k << " changed";
      }
      if (!proof.empty()) {
        auto shorter = proof;
        shorter.pop_back();
        EXPECT_FALSE(verify_inclusion(l[i], i, n, shorter, r)) << "a hash left out";
      }
    }
  }
}

TEST(merkle, a_later_tree_proves_it_keeps_every_earlier_one_unchanged) {
  const auto l = leaves_of(37);
  for (std::uint64_t n = 1; n <= l.size(); ++n) {
    const digest new_root = root(n, source(l));
    for (std::uint64_t m = 1; m <= n; ++m) {
      const digest old_root = root(m, source(l));
      const auto proof = consistency_proof(m, n, source(l));
      ASSERT_TRUE(verify_consistency(m, n, old_root, new_root, proof)) << m << " → " << n;
      EXPECT_FALSE(verify_consistency(m, n, flipped(old_root), new_root, proof)) << "another old root";
      EXPECT_FALSE(verify_consistency(m, n, old_root, flipped(new_root), proof)) << "another new root";
      for (std::size_t k = 0; k < proof.size(); ++k) {
        auto tampered = proof;
        tampered[k] = flipped(tampered[k]);
        EXPECT_FALSE(verify_consistency(m, n, old_root, new_root, tampered)) << "hash " << k << " changed";
      }
    }
  }
}

// The auditor's case: last year's head, then a rewrite of an early event and
// a head recomputed over the rewritten history. No consistency proof the log
// can produce from the rewritten history links the two heads.
TEST(merkle, a_rewritten_past_has_no_consistency_proof_to_the_old_head) {
  auto l = leaves_of(20);
  const digest last_year = root(12, source(l));
  l[5] = sha256("a forged decision");
  const auto proof = consistency_proof(12, 20, source(l));
  EXPECT_FALSE(verify_consistency(12, 20, last_year, root(20, source(l)), proof));
}

TEST(merkle, proofs_are_logarithmic_in_the_size) {
  const auto l = leaves_of(1024);
  EXPECT_EQ(inclusion_proof(517, 1024, source(l)).size(), 10u);
  EXPECT_LE(consistency_proof(300, 1024, source(l)).size(), 2u * 10u);
}

}  // namespace
}  // namespace isms::canonical::merkle::merkle_test
