#pragma once
// The Merkle tree over the log, in the shape of RFC 9162 section 2.1 (as
// Certificate Transparency's logs): the leaves are the event hashes in
// position order, and with a tree head and a short proof anyone can check,
// without the history, that one event is in the log (inclusion) or that a
// later log extends an earlier one without changing it (consistency).
//
//   leaf hash  = SHA-256(0x00 || leaf bytes)      the leaf: an event hash (32 bytes)
//   node hash  = SHA-256(0x01 || left || right)
//   root of 0 leaves = SHA-256("")
//   root of n > 1 leaves: split at k, the largest power of two below n,
//   root = node(root of leaves[0, k), root of leaves[k, n))
//
// Proofs list node hashes, from the leaf's side upwards, exactly as RFC 9162
// 2.1.3 (inclusion) and 2.1.4 (consistency) define them, so that the
// verification algorithms of that RFC (written out below, and in the
// auditor's verifier) accept them.
//
// Thread-safety: pure functions and a value type.

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "isms/canonical/canonical.hpp"

namespace isms::canonical::merkle {

// The hash of a leaf whose bytes are `leaf` (in the log: an event hash).
[[nodiscard]] digest leaf_hash(std::string_view leaf);
[[nodiscard]] digest leaf_hash(const digest& leaf);
// The hash of an inner node.
[[nodiscard]] digest node_hash(const digest& left, const digest& right);
// The root of the empty tree: SHA-256 of no bytes.
[[nodiscard]] digest empty_root();

// The tree head kept as new leaves arrive: the roots of the perfect subtrees
// that make up the tree so far (at most one per bit of the size), so that
// appending is O(log n) and needs no earlier leaf.
// A perfect subtree is named by its level (0 = one leaf, l = 2^l leaves) and
// its index at that level: it covers leaves [index * 2^l, (index + 1) * 2^l).
// `node_source(level, index)` gives its root; a log that stores these roots
// as leaves arrive answers every root and proof below with O(log n) look-ups.
using node_source = std::function<digest(unsigned level, std::uint64_t index)>;
// Told of each perfect subtree an append completes, smallest first.
using node_sink = std::function<void(unsigned level, std::uint64_t index, const digest& root)>;

class frontier {
 public:
  frontier() = default;
  // The frontier of a tree of `size` leaves, from the roots of its perfect
  // subtrees (one per set bit of the size).
  [[nodiscard]] static frontier restore(std::uint64_t size, const node_source& nodes);
  // Appends the leaf whose bytes are `leaf` (an event hash).
  void append(const digest& leaf);
  // As append, telling `completed` of every perfect subtree the leaf completes
  // (the leaf's own, level 0, first).
  void append(const digest& leaf, const node_sink& completed);
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  // The root of the tree of every leaf appended so far.
  [[nodiscard]] digest root() const;

 private:
  std::uint64_t size_ = 0;
  std::vector<digest> subtrees_;  // roots of the perfect subtrees, largest (leftmost) first
};

// The leaves of a tree by index (0-based: position - 1), for the proofs
// below: `leaves(i)` is the bytes of leaf i (an event hash), i < tree size.
using leaf_source = std::function<digest(std::uint64_t index)>;

// The root of the first `size` leaves.
[[nodiscard]] digest root(std::uint64_t size, const leaf_source& leaves);
[[nodiscard]] digest root(std::uint64_t size, const node_source& nodes);

// The audit path of leaf `index` (0-based) in the tree of the first `size`
// leaves (RFC 9162 2.1.3.1). Requires index < size.
[[nodiscard]] std::vector<digest> inclusion_proof(std::uint64_t index, std::uint64_t size,
                                                  const leaf_source& leaves);
[[nodiscard]] std::vector<digest> inclusion_proof(std::uint64_t index, std::uint64_t size,
                                                  const node_source& nodes);

// The consistency proof between the trees of the first `old_size` and the
// first `new_size` leaves (RFC 9162 2.1.4.1). Requires 0 < old_size <= new_size;
// empty when they are equal.
[[nodiscard]] std::vector<digest> consistency_proof(std::uint64_t old_size, std::uint64_t new_size,
                                                    const leaf_source& leaves);
[[nodiscard]] std::vector<digest> consistency_proof(std::uint64_t old_size, std::uint64_t new_size,
                                                    const node_source& nodes);

// RFC 9162 2.1.3.2: true if `proof` shows the leaf with hash `leaf` at
// `index` in the tree of `size` leaves whose root is `root`.
[[nodiscard]] bool verify_inclusion(const digest& leaf, std::uint64_t index, std::uint64_t size,
                                    std::span<const digest> proof, const digest& root);

// RFC 9162 2.1.4.2: true if `proof` shows that the tree of `new_size` leaves
// with root `new_root` extends the tree of `old_size` leaves with root
// `old_root`, which it keeps unchanged.
[[nodiscard]] bool verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const digest& old_root,
                                      const digest& new_root, std::span<const digest> proof);

}  // namespace isms::canonical::merkle
