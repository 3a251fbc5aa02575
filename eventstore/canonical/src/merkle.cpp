#include "isms/canonical/merkle.hpp"

#include <bit>

namespace isms::canonical::merkle {

namespace {

// The largest power of two strictly below n (n > 1).
std::uint64_t split(std::uint64_t n) { return std::bit_floor(n - 1); }

// The root of the perfect subtree (level, index) from the leaves themselves.
digest perfect_from_leaves(unsigned level, std::uint64_t index, const leaf_source& leaves) {
  if (level == 0) return leaf_hash(leaves(index));
  return node_hash(perfect_from_leaves(level - 1, 2 * index, leaves),
                   perfect_from_leaves(level - 1, 2 * index + 1, leaves));
}

node_source from_leaves(const leaf_source& leaves) {
  return [&leaves](unsigned level, std::uint64_t index) { return perfect_from_leaves(level, index, leaves); };
}

// MTH(D[begin, end)), end > begin. Every range the recursions below meet
// starts at a multiple of the largest power of two not above its size, so a
// range of 2^l leaves is the perfect subtree (l, begin >> l).
digest subtree_root(std::uint64_t begin, std::uint64_t end, const node_source& nodes) {
  const std::uint64_t n = end - begin;
  if (std::has_single_bit(n)) {
    const auto level = static_cast<unsigned>(std::countr_zero(n));
    return nodes(level, begin >> level);
  }
  const std::uint64_t k = split(n);
  return node_hash(subtree_root(begin, begin + k, nodes), subtree_root(begin + k, end, nodes));
}

// PATH(m, D[begin, end)) of RFC 6962 2.1.1, appended to `out` from the leaf up.
void path(std::uint64_t m, std::uint64_t begin, std::uint64_t end, const node_source& nodes,
          std::vector<digest>& out) {
  if (end - begin == 1) return;
  const std::uint64_t k = split(end - begin);
  if (m < k) {
    path(m, begin, begin + k, nodes, out);
    out.push_back(subtree_root(begin + k, end, nodes));
  } else {
    path(m - k, begin + k, end, nodes, out);
    out.push_back(subtree_root(begin, begin + k, nodes));
  }
}

// SUBPROOF(m, D[begin, end), b) of RFC 6962 2.1.2.
void subproof(std::uint64_t m, std::uint64_t begin, std::uint64_t end, bool whole, const node_source& nodes,
              std::vector<digest>& out) {
  const std::uint64_t n = end - begin;
  if (m == n) {
    if (!whole) out.push_back(subtree_root(begin, end, nodes));
    return;
  }
  const std::uint64_t k = split(n);
  if (m <= k) {
    subproof(m, begin, begin + k, whole, nodes, out);
    out.push_back(subtree_root(begin + k, end, nodes));
  } else {
    subproof(m - k, begin + k, end, false, nodes, out);
    out.push_back(subtree_root(begin, begin + k, nodes));
  }
}

bool lsb(std::uint64_t x) { return (x & 1u) != 0; }

// RFC 9162's step up one level of the path: after a hash on the left of a
// right edge (fn == sn with LSB(fn) clear), shift both until LSB(fn) is set or
// fn is 0; then shift once.
void climb(std::uint64_t& fn, std::uint64_t& sn, bool left_edge) {
  if (left_edge)
    while (!lsb(fn) && fn != 0) {
      fn >>= 1;
      sn >>= 1;
    }
  fn >>= 1;
  sn >>= 1;
}

}  // namespace

digest leaf_hash(std::string_view leaf) {
  hasher h;
  const std::uint8_t prefix = 0x00;
  h.update(&prefix, 1);
  h.update(leaf);
  return h.finish();
}

digest leaf_hash(const digest& leaf) {
  return leaf_hash(std::string_view(reinterpret_cast<const char*>(leaf.data()), leaf.size()));
}

digest node_hash(const digest& left, const digest& right) {
  hasher h;
  const std::uint8_t prefix = 0x01;
  h.update(&prefix, 1);
  h.update(left.data(), left.size());
  h.update(right.data(), right.size());
  return h.finish();
}

digest empty_root() { return sha256(""); }

frontier frontier::restore(std::uint64_t size, const node_source& nodes) {
  frontier f;
  f.size_ = size;
  std::uint64_t begin = 0;
  for (unsigned level = 64; level-- > 0;) {
    const std::uint64_t width = std::uint64_t{1} << level;
    if ((size & width) == 0) continue;
    f.subtrees_.push_back(nodes(level, begin >> level));
    begin += width;
  }
  return f;
}

void frontier::append(const digest& leaf) { append(leaf, node_sink{}); }

void frontier::append(const digest& leaf, const node_sink& completed) {
  digest h = leaf_hash(leaf);
  std::uint64_t index = size_;
  unsigned level = 0;
  if (completed) completed(level, index, h);
  // Each set low bit of the size is a perfect subtree the new leaf completes.
  for (std::uint64_t s = size_; lsb(s); s >>= 1) {
    h = node_hash(subtrees_.back(), h);
    subtrees_.pop_back();
    ++level;
    index >>= 1;
    if (completed) completed(level, index, h);
  }
  subtrees_.push_back(h);
  ++size_;
}

digest frontier::root() const {
  if (subtrees_.empty()) return empty_root();
  digest r = subtrees_.back();
  for (std::size_t i = subtrees_.size() - 1; i-- > 0;) r = node_hash(subtrees_[i], r);
  return r;
}

digest root(std::uint64_t size, const node_source& nodes) {
  return size == 0 ? empty_root() : subtree_root(0, size, nodes);
}

digest root(std::uint64_t size, const leaf_source& leaves) { return root(size, from_leaves(leaves)); }

std::vector<digest> inclusion_proof(std::uint64_t index, std::uint64_t size, const node_source& nodes) {
  std::vector<digest> out;
  if (index < size) path(index, 0, size, nodes, out);
  return out;
}

std::vector<digest> inclusion_proof(std::uint64_t index, std::uint64_t size, const leaf_source& leaves) {
  return inclusion_proof(index, size, from_leaves(leaves));
}

std::vector<digest> consistency_proof(std::uint64_t old_size, std::uint64_t new_size, const node_source& nodes) {
  std::vector<digest> out;
  if (old_size > 0 && old_size < new_size) subproof(old_size, 0, new_size, true, nodes, out);
  return out;
}

std::vector<digest> consistency_proof(std::uint64_t old_size, std::uint64_t new_size, const leaf_source& leaves) {
  return consistency_proof(old_size, new_size, from_leaves(leaves));
}

bool verify_inclusion(const digest& leaf, std::uint64_t index, std::uint64_t size, std::span<const digest> proof,
                      const digest& root) {
  if (index >= size) return false;
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  digest r = leaf_hash(leaf);
  for (const digest& p : proof) {
    if (sn == 0) return false;
    const bool left = lsb(fn) || fn == sn;
    r = left ? node_hash(p, r) : node_hash(r, p);
    climb(fn, sn, left && !lsb(fn));
  }
  return sn == 0 && r == root;
}

bool verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const digest& old_root,
                        const digest& new_root, std::span<const digest> proof) {
  if (old_size > new_size) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (old_size == 0) return proof.empty();  // every tree extends the empty one
  if (proof.empty()) return false;
  std::vector<digest> path(proof.begin(), proof.end());
  if (std::has_single_bit(old_size)) path.insert(path.begin(), old_root);
  std::uint64_t fn = old_size - 1;
  std::uint64_t sn = new_size - 1;
  while (lsb(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  digest fr = path.front();
  digest sr = path.front();
  for (std::size_t i = 1; i < path.size(); ++i) {
    const digest& c = path[i];
    if (sn == 0) return false;
    const bool left = lsb(fn) || fn == sn;
    if (left) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
    } else {
      sr = node_hash(sr, c);
    }
    climb(fn, sn, left && !lsb(fn));
  }
  return fr == old_root && sr == new_root && sn == 0;
}

}  // namespace isms::canonical::merkle
