#pragma once
// Direct RocksDB access to a closed store, for damaging it the way an attacker
// or a failing disk would. Column family names and key layouts are the
// storage format documented in docs/eventstore.md.

#include <rocksdb/db.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace isms::eventstore::testing {

class raw_db {
 public:
  explicit raw_db(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    auto s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.string(), &names);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (auto& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* db = nullptr;
    s = rocksdb::DB::Open(rocksdb::DBOptions(), dir.string(), descs, &handles_, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    db_.reset(db);
    names_ = names;
  }
  ~raw_db() {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    (void)db_->Close();
  }

  rocksdb::DB& db() { return *db_; }
  rocksdb::ColumnFamilyHandle* cf(const std::string& name) {
    for (std::size_t i = 0; i < names_.size(); ++i)
      if (names_[i] == name) return handles_[i];
    ADD_FAILURE() << "no column family " << name;
    return nullptr;
  }
  static std::string key(std::uint64_t position) {
    std::string k(8, '\0');
    for (int i = 7; i >= 0; --i, position >>= 8) k[i] = static_cast<char>(position & 0xff);
    return k;
  }
  std::string get(const std::string& cf_name, const std::string& k) {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), cf(cf_name), k, &v);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return v;
  }
  void put(const std::string& cf_name, const std::string& k, const std::string& v) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto s = db_->Put(wo, cf(cf_name), k, v);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  void erase(const std::string& cf_name, const std::string& k) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto s = db_->Delete(wo, cf(cf_name), k);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::vector<std::string> names_;
};

}  // namespace isms::eventstore::testing
