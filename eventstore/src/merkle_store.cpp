// The Merkle tree over the log, kept in the store: the root of every perfect
// subtree is written in the same atomic batch as the events that complete it
// (commit_group), so the tree's size always equals the head's position and
// every root and proof needs O(log n) point reads. docs/eventstore.md, "The
// Merkle tree over the log".

#include <cstdio>
#include <cstring>

#include "store_impl.hpp"

namespace isms::eventstore {

namespace merkle = canonical::merkle;
using detail::make_error;

namespace {

// How many events a catch-up batch covers when an older store gets its tree.
constexpr std::uint64_t catch_up_batch = 16384;

// A tree larger than the log has no root or proof yet.
std::optional<error> beyond_head(std::uint64_t tree_size, std::uint64_t head) {
  if (tree_size <= head) return std::nullopt;
  return make_error(errc::invalid_argument, "tree size " + std::to_string(tree_size) + " is beyond the log's head");
}

}  // namespace

std::string detail::merkle_key(unsigned level, std::uint64_t index) {
  std::string k;
  k.reserve(9);
  k.push_back(static_cast<char>(level));
  append_u64(k, index);
  return k;
}

result<std::uint64_t> store::impl::merkle_size() const {
  std::string v;
  auto s = db_->Get(rocksdb::ReadOptions(), cf(cf_chain),
                    rocksdb::Slice(chain_merkle_size_key.data(), chain_merkle_size_key.size()), &v);
  if (s.IsNotFound()) return 0;
  if (!s.ok()) return std::unexpected(io_error(s, "reading the Merkle tree's size"));
  if (v.size() != 8) return std::unexpected(make_error(errc::corrupted, "the Merkle tree's size record is malformed"));
  return detail::get_u64(v.data());
}

merkle::node_source store::impl::merkle_nodes(std::optional<error>& failure) const {
  return [this, &failure](unsigned level, std::uint64_t index) {
    digest d{};
    if (failure) return d;
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), cf(cf_merkle), detail::merkle_key(level, index), &v);
    if (!s.ok()) {
      failure = s.IsNotFound() ? make_error(errc::corrupted, "a node of the Merkle tree is missing (level " +
                                                                 std::to_string(level) + ", index " +
                                                                 std::to_string(index) + ")")
                               : io_error(s, "reading the Merkle tree");
      return d;
    }
    if (v.size() != d.size()) {
      failure = make_error(errc::corrupted, "a node of the Merkle tree is malformed");
      return d;
    }
    std::memcpy(d.data(), v.data(), d.size());
    return d;
  };
}

// Before the writer runs. A store written before the tree was kept (or one
// whose tree lags the head, which a batch of its own can never leave) gets
// the missing leaves from its events, in batches, each with the new size.
result<void> store::impl::load_merkle() {
  auto size = merkle_size();
  if (!size) return std::unexpected(size.error());
  const std::uint64_t head_position = next_position_ - 1;
  if (*size > head_position)
    return std::unexpected(make_error(errc::corrupted,
                                      "the Merkle tree holds " + std::to_string(*size) +
                                          " leaves but the log ends at position " + std::to_string(head_position),
                                      head_position + 1));
  std::optional<error> failure;
  frontier_ = merkle::frontier::restore(*size, merkle_nodes(failure));
  if (failure) return std::unexpected(*failure);

  if (*size < head_position) {
    std::fprintf(stderr, "eventstore: building the Merkle tree over positions %llu..%llu (once, for a store "
                 "written before it was kept)\n", static_cast<unsigned long long>(*size + 1),
                 static_cast<unsigned long long>(head_position));
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(cf_events)));
    rocksdb::WriteBatch batch;
    const merkle::node_sink put = [&](unsigned level, std::uint64_t index, const digest& root) {
      batch.Put(cf(cf_merkle), detail::merkle_key(level, index),
                rocksdb::Slice(reinterpret_cast<const char*>(root.data()), root.size()));
    };
    std::uint64_t pos = *size + 1;
    it->Seek(detail::position_key(pos));
    while (pos <= head_position) {
      if (!it->Valid() || it->key().size() != 8 || detail::get_u64(it->key().data()) != pos) {
        if (!it->status().ok()) return std::unexpected(io_error(it->status(), "reading events for the Merkle tree"));
        return std::unexpected(make_error(errc::corrupted, "event missing", pos));
      }
      auto r = detail::parse_record(std::string_view(it->value().data(), it->value().size()));
      if (!r) return std::unexpected(make_error(errc::corrupted, r.error(), pos));
      frontier_.append(r->hash, put);
      it->Next();
      if (pos % catch_up_batch == 0 || pos == head_position) {
        batch.Put(cf(cf_chain), rocksdb::Slice(chain_merkle_size_key.data(), chain_merkle_size_key.size()),
                  detail::position_key(pos));
        rocksdb::WriteOptions wo;
        wo.sync = opts_.sync && pos == head_position;
        if (auto s = db_->Write(wo, &batch); !s.ok()) return std::unexpected(io_error(s, "writing the Merkle tree"));
        batch.Clear();
      }
      ++pos;
    }
  }

  // The tree's last leaf is the head's event.
  if (head_position > 0) {
    const digest last_leaf = merkle_nodes(failure)(0, head_position - 1);
    if (failure) return std::unexpected(*failure);
    if (last_leaf != merkle::leaf_hash(prev_hash_))
      return std::unexpected(make_error(errc::corrupted,
                                        "the Merkle tree's last leaf is not the head event's hash", head_position));
  }
  return {};
}

result<digest> store::merkle_root(std::uint64_t tree_size) const {
  if (auto bad = beyond_head(tree_size, current_head().position)) return std::unexpected(*bad);
  std::optional<error> failure;
  const digest root = merkle::root(tree_size, impl_->merkle_nodes(failure));
  if (failure) return std::unexpected(*failure);
  return root;
}

result<std::vector<digest>> store::inclusion_proof(std::uint64_t position, std::uint64_t tree_size) const {
  if (auto bad = beyond_head(tree_size, current_head().position)) return std::unexpected(*bad);
  if (position == 0 || position > tree_size)
    return std::unexpected(make_error(errc::invalid_argument, "position " + std::to_string(position) +
                                                                  " is not in the tree of size " +
                                                                  std::to_string(tree_size)));
  std::optional<error> failure;
  auto proof = merkle::inclusion_proof(position - 1, tree_size, impl_->merkle_nodes(failure));
  if (failure) return std::unexpected(*failure);
  return proof;
}

result<std::vector<digest>> store::consistency_proof(std::uint64_t from_size, std::uint64_t to_size) const {
  if (auto bad = beyond_head(to_size, current_head().position)) return std::unexpected(*bad);
  if (from_size == 0 || from_size > to_size)
    return std::unexpected(make_error(errc::invalid_argument,
                                      "a consistency proof needs 0 < from <= to (from " + std::to_string(from_size) +
                                          ", to " + std::to_string(to_size) + ")"));
  std::optional<error> failure;
  auto proof = merkle::consistency_proof(from_size, to_size, impl_->merkle_nodes(failure));
  if (failure) return std::unexpected(*failure);
  return proof;
}

}  // namespace isms::eventstore
