// Evidence files over HTTP on a real server: an upload far larger than a
// request body may be is received a piece at a time, stored once by its
// SHA-256 and attached with what the server measured; refusals come before
// the body is read; a body over the limit, a client that leaves halfway and
// a full disk leave nothing behind; downloads only for those signed in,
// always as attachments, refused when the bytes on disk no longer match
// their record; backups take the files along.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "isms/canonical/canonical.hpp"
#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::evidence_files_test {
namespace {

namespace fs = std::filesystem;

std::string sha256_hex(std::string_view bytes) {
  canonical::hasher h;
  h.update(bytes);
  return canonical::to_hex(h.finish());
}

// Bytes that do not compress to nothing and differ by `seed`.
std::string file_of(std::size_t size, unsigned seed) {
  std::string out(size, '\0');
  std::uint32_t x = 2463534242u ^ seed;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  return out;
}

std::size_t files_under(const fs::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file()) ++n;
  return n;
}

std::string header_of(const http_result& r, std::string_view name) { return r.header(name); }

http_result upload(test_server& srv, const std::string& token, const std::string& query, const std::string& bytes,
                   const std::string& type = "application/pdf") {
  return http_call(srv.port(), "POST", "/api/evidence-files?" + query, bytes,
                   {{"Authorization", "Bearer " + token}, {"Content-Type", type}});
}

// A raw request on a socket of its own: for bodies the HTTP client does not
// send (chunked, cut short). Returns the socket, connected and written to.
int raw_send(std::uint16_t port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  return fd;
}

std::string raw_read_all(int fd) {
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// Waits (bounded) until `done` holds; a broken server fails the test instead of hanging it.
template <class F>
bool eventually(F done) {
  for (int i = 0; i < 200; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return done();
}

struct evidence_files_test : ::testing::Test {
  test_server srv;
  std::string mia = srv.add_user("mia", {"isms_manager"});
  fs::path root = srv.dir().string() + "-evidence";

  void SetUp() override {
    auto c = connect_as(srv, mia);
    ASSERT_TRUE(c);
    ASSERT_TRUE(ok(c->command("risk.identify", "risk-R-1", identify_data("mia"))));
  }
  std::uint64_t head() { return srv.store().current_head().position; }
};

TEST_F(evidence_files_test, a_file_larger_than_any_request_body_is_stored_once_and_attached_as_measured) {
  // 5 MiB: five times what a request body may be (max_body_bytes), so it is
  // received as it arrives, not whole.
  const std::string pdf = file_of(5u << 20, 1);
  const auto first = upload(srv, mia, "subject_kind=risk&subject_id=R-1&purpose=MFA%20enforced&name=mfa%20report.pdf&review_by=2026-12-01", pdf);
  ASSERT_EQ(first.status, 201u) << first.body;
  const json a = first.json_body();
  EXPECT_EQ(a.at("digest"), sha256_hex(pdf));
  EXPECT_EQ(a.at("size"), pdf.size());
  EXPECT_FALSE(a.at("already_stored"));
  const fs::path stored = root / "sha256" / sha256_hex(pdf).substr(0, 2) / sha256_hex(pdf);
  ASSERT_TRUE(fs::is_regular_file(stored));
  EXPECT_EQ(fs::file_size(stored), pdf.size());

  // The same bytes again, for an SoA control: stored once.
  const auto second = upload(srv, mia, "subject_kind=control&subject_id=5.17&purpose=Same%20report&name=copy.pdf", pdf);
  ASSERT_EQ(second.status, 201u) << second.body;
  EXPECT_TRUE(second.json_body().at("already_stored"));
  EXPECT_EQ(files_under(root / "sha256"), 1u);
  EXPECT_EQ(files_under(root / "incoming"), 0u);

  // The record says what the server measured, whatever a client claims.
  auto c = connect_as(srv, mia);
  const auto listed = c->query("evidence", {{"subject_kind", "risk"}, {"subject_id", "R-1"}});
  ASSERT_TRUE(ok(listed)) << (listed ? listed->dump() : "no reply");
  const json& row = (*listed)["result"]["data"]["evidence"][0];
  EXPECT_EQ(row.at("digest"), sha256_hex(pdf));
  EXPECT_EQ(row.at("size"), pdf.size());
  EXPECT_EQ(row.at("name"), "mfa report.pdf");
  EXPECT_EQ(row.at("media_type"), "application/pdf");
  EXPECT_EQ(row.at("attached_by"), "mia");
  const auto soa = c->query("soa");
  ASSERT_TRUE(ok(soa));
  bool counted = false;
  for (const auto& t : (*soa)["result"]["data"]["themes"])
    for (const auto& x : t["controls"])
      if (x["id"] == "5.17") counted = x["evidence"]["current"] == 1;
  EXPECT_TRUE(counted) << "the SoA counts the control's evidence";

  // Downloaded as it was uploaded, as an attachment.
  const std::string id = a.at("evidence_id");
  const auto got = http_call(srv.port(), "GET", "/api/evidence-files/" + id, {}, {{"Authorization", "Bearer " + mia}});
  ASSERT_EQ(got.status, 200u) << got.body.substr(0, 200);
  EXPECT_EQ(got.body.size(), pdf.size());
  EXPECT_TRUE(got.body == pdf);
  EXPECT_EQ(header_of(got, "content-type"), "application/pdf");
  EXPECT_EQ(header_of(got, "content-disposition").rfind("attachment; filename=\"mfa report.pdf\"", 0), 0u)
      << header_of(got, "content-disposition");
  EXPECT_EQ(header_of(got, "x-content-type-options"), "nosniff");
  EXPECT_EQ(header_of(got, "x-content-sha256"), sha256_hex(pdf));
  // Anyone signed in with a role reads it; nobody else.
  const std::string eve = srv.add_user("eve", {"external_auditor"});
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/evidence-files/" + id, {}, {{"Authorization", "Bearer " + eve}}).status, 200u);
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/evidence-files/" + id).status, 401u);
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/evidence-files/EV-none", {}, {{"Authorization", "Bearer " + mia}}).status,
            404u);
}

TEST_F(evidence_files_test, a_page_is_never_served_as_one) {
  const std::string page = "<html><script>alert(document.cookie)</script></html>";
  const auto r = upload(srv, mia, "subject_kind=risk&subject_id=R-1&purpose=p&name=..%2F..%2Findex.html", page, "text/html");
  ASSERT_EQ(r.status, 201u) << r.body;
  const auto got = http_call(srv.port(), "GET", "/api/evidence-files/" + r.json_body().at("evidence_id").get<std::string>(),
                             {}, {{"Authorization", "Bearer " + mia}});
  ASSERT_EQ(got.status, 200u);
  EXPECT_EQ(got.body, page);
  EXPECT_EQ(header_of(got, "content-type"), "application/octet-stream");
  EXPECT_EQ(header_of(got, "content-disposition").rfind("attachment; filename=\"index.html\"", 0), 0u)
      << "no folders in the name: " << header_of(got, "content-disposition");
  EXPECT_NE(header_of(got, "content-security-policy").find("sandbox"), std::string::npos);
}

TEST_F(evidence_files_test, refusals_come_before_the_body_and_store_nothing) {
  const std::string bytes = file_of(200000, 2);
  const std::string q = "subject_kind=risk&subject_id=R-1&purpose=p&name=a.pdf";
  const auto before = head();
  EXPECT_EQ(http_call(srv.port(), "POST", "/api/evidence-files?" + q, bytes).status, 401u);
  const std::string eve = srv.add_user("eve", {"external_auditor"});
  const auto after_users = head();
  EXPECT_EQ(upload(srv, eve, q, bytes).status, 403u);
  EXPECT_EQ(upload(srv, mia, "subject_kind=risk&subject_id=R-1&name=a.pdf", bytes).status, 400u) << "no purpose";
  EXPECT_EQ(http_call(srv.port(), "POST", "/api/evidence-files?" + q, bytes,
                      {{"Authorization", "Bearer " + mia}, {"Origin", "https://evil.example"}})
                .status,
            403u);
  // The domain's refusal: no such subject. Nothing is recorded.
  const auto missing = upload(srv, mia, "subject_kind=nonconformity&subject_id=NC-9&purpose=p&name=a.pdf", bytes);
  EXPECT_EQ(missing.status, 404u) << missing.body;
  EXPECT_EQ(missing.json_body()["error"]["code"], "not_found");
  EXPECT_EQ(head(), after_users);
  EXPECT_GT(after_users, before);
  EXPECT_EQ(files_under(root / "incoming"), 0u);
  // Nor are the bytes the refused attach would have named kept.
  EXPECT_EQ(files_under(root / "sha256"), 0u);
  EXPECT_FALSE(fs::exists(root / "sha256" / sha256_hex(bytes).substr(0, 2) / sha256_hex(bytes)));
  // Over the WebSocket API it is refused: the record must be what the server measured.
  auto c = connect_as(srv, mia);
  const auto ws = c->command("evidence.attach", "evidence-EV-X",
                             {{"evidence_id", "EV-X"}, {"subject_kind", "risk"}, {"subject_id", "R-1"},
                              {"purpose", "p"}, {"digest", std::string(64, 'a')}, {"name", "a.pdf"},
                              {"media_type", "application/pdf"}, {"size", 1}});
  EXPECT_EQ(error_code(ws), "bad_request");
}

// Bytes already attached stay when a later attach of the same bytes is
// refused; bytes attached while another upload of them is refused stay too.
TEST_F(evidence_files_test, a_refused_attach_never_takes_bytes_another_attach_names) {
  const std::string bytes = file_of(120000, 7);
  const fs::path stored = root / "sha256" / sha256_hex(bytes).substr(0, 2) / sha256_hex(bytes);
  const std::string to_risk = "subject_kind=risk&subject_id=R-1&purpose=p&name=a.pdf";
  const std::string to_nobody = "subject_kind=risk&subject_id=R-404&purpose=p&name=a.pdf";
  const auto first = upload(srv, mia, to_risk, bytes);
  ASSERT_EQ(first.status, 201u) << first.body;
  EXPECT_EQ(upload(srv, mia, to_nobody, bytes).status, 404u);
  EXPECT_TRUE(fs::exists(stored));

  // Uploads of the same new bytes at once, half of them refused: whatever the
  // order, the bytes stay exactly when one of them was attached.
  const std::string other = file_of(90000, 8);
  const fs::path other_stored = root / "sha256" / sha256_hex(other).substr(0, 2) / sha256_hex(other);
  std::vector<std::thread> threads;
  std::atomic<int> attached{0}, refused{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      const auto r = upload(srv, mia, i % 2 == 0 ? to_nobody : to_risk, other);
      (r.status == 201u ? attached : refused)++;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(attached.load(), 4);
  EXPECT_EQ(refused.load(), 4);
  EXPECT_TRUE(fs::exists(other_stored));
  auto c = connect_as(srv, mia);
  const auto files = c->query("evidence", {{"digest", sha256_hex(other)}});
  ASSERT_TRUE(ok(files)) << (files ? files->dump() : "no reply");
  EXPECT_EQ((*files)["result"]["data"]["evidence"].size(), 4u) << files->dump();

  // All refused: nothing stays.
  const std::string third = file_of(70000, 9);
  threads.clear();
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { EXPECT_EQ(upload(srv, mia, to_nobody, third).status, 404u); });
  for (auto& t : threads) t.join();
  EXPECT_FALSE(fs::exists(root / "sha256" / sha256_hex(third).substr(0, 2) / sha256_hex(third)));
  EXPECT_EQ(files_under(root / "sha256"), 2u);
}

TEST_F(evidence_files_test, a_body_over_the_limit_or_cut_short_leaves_nothing_behind) {
  test_server small([](server::server_config& c) { c.ledger.evidence.max_file_bytes = 64 * 1024; });
  const std::string token = small.add_user("mia", {"isms_manager"});
  auto c = connect_as(small, token);
  ASSERT_TRUE(ok(c->command("risk.identify", "risk-R-1", identify_data("mia"))));
  const fs::path small_root = small.dir().string() + "-evidence";
  const std::string q = "/api/evidence-files?subject_kind=risk&subject_id=R-1&purpose=p&name=a.pdf";
  const auto before = small.store().current_head().position;
  // Declared too large: refused at once.
  EXPECT_EQ(upload(small, token, "subject_kind=risk&subject_id=R-1&purpose=p&name=a.pdf", file_of(100000, 3)).status,
            413u);
  // Chunked, so the length is learned only as it arrives: refused once over.
  std::string chunked = "POST " + q + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
                        "\r\nContent-Type: application/pdf\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string piece = file_of(16384, 4);
  for (int i = 0; i < 6; ++i) chunked += "4000\r\n" + piece + "\r\n";
  chunked += "0\r\n\r\n";
  int fd = raw_send(small.port(), chunked);
  ASSERT_GE(fd, 0);
  const std::string answer = raw_read_all(fd);
  ::close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 200);
  // A client that leaves halfway.
  fd = raw_send(small.port(), "POST " + q + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
                                  "\r\nContent-Type: application/pdf\r\nContent-Length: 60000\r\n\r\n" +
                                  file_of(30000, 5));
  ASSERT_GE(fd, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ::close(fd);
  EXPECT_TRUE(eventually([&] { return files_under(small_root / "incoming") == 0; }));
  EXPECT_EQ(files_under(small_root / "sha256"), 0u);
  EXPECT_EQ(small.store().current_head().position, before);
  // And the server goes on: a file within the limit is taken.
  const auto fine = upload(small, token, "subject_kind=risk&subject_id=R-1&purpose=p&name=a.pdf", file_of(60000, 6));
  EXPECT_EQ(fine.status, 201u) << fine.body;
}

TEST(evidence_files_backup, a_file_altered_on_disk_is_refused_and_a_backup_takes_the_files_along) {
  const fs::path backups = fs::temp_directory_path() / ("ismsd-evidence-backups-" + std::to_string(::getpid()));
  test_server srv([&](server::server_config& c) { c.ledger.backup_dir = backups; });
  const std::string mia = srv.add_user("mia", {"isms_manager"});
  const fs::path root = srv.dir().string() + "-evidence";
  {
    auto c = connect_as(srv, mia);
    ASSERT_TRUE(ok(c->command("risk.identify", "risk-R-1", identify_data("mia"))));
  }
  const std::string pdf = file_of(70000, 7);
  const auto r = upload(srv, mia, "subject_kind=risk&subject_id=R-1&purpose=p&name=a.pdf", pdf);
  ASSERT_EQ(r.status, 201u) << r.body;
  const std::string id = r.json_body().at("evidence_id");
  const std::string admin = srv.add_user("root2", {"admin"});
  const auto backup = http_call(srv.port(), "POST", "/api/backup", {}, {{"Authorization", "Bearer " + admin}});
  ASSERT_EQ(backup.status, 200u) << backup.body;
  EXPECT_EQ(backup.json_body().at("evidence_files"), 1);
  const fs::path saved = fs::path(backup.json_body().at("path").get<std::string>()) / "evidence" / "sha256" /
                         sha256_hex(pdf).substr(0, 2) / sha256_hex(pdf);
  ASSERT_TRUE(fs::is_regular_file(saved));
  {
    std::ifstream in(saved, std::ios::binary);
    const std::string copy((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(copy == pdf);
  }
  // Someone with access to the disk changes the stored bytes.
  const fs::path stored = root / "sha256" / sha256_hex(pdf).substr(0, 2) / sha256_hex(pdf);
  fs::permissions(stored, fs::perms::owner_write, fs::perm_options::add);
  {
    std::fstream f(stored, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(100);
    f.put('X');
  }
  const auto got = http_call(srv.port(), "GET", "/api/evidence-files/" + id, {}, {{"Authorization", "Bearer " + mia}});
  EXPECT_EQ(got.status, 500u);
  EXPECT_NE(got.body.find("altered"), std::string::npos) << got.body;
  std::error_code ec;
  fs::remove_all(backups, ec);
}

TEST(evidence_files_disk, a_full_disk_answers_507_and_keeps_nothing_half_written) {
  const fs::path mount = fs::temp_directory_path() / ("ismsd-evidence-full-" + std::to_string(::getpid()));
  fs::create_directories(mount);
  if (::mount("tmpfs", mount.c_str(), "tmpfs", 0, "size=1m") != 0) {
    fs::remove(mount);
    GTEST_SKIP() << "cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): " << std::strerror(errno);
  }
  {
    test_server srv([&](server::server_config& c) { c.ledger.evidence_dir = mount / "evidence"; });
    const std::string mia = srv.add_user("mia", {"isms_manager"});
    auto c = connect_as(srv, mia);
    ASSERT_TRUE(ok(c->command("risk.identify", "risk-R-1", identify_data("mia"))));
    const auto before = srv.store().current_head().position;
    const auto full = upload(srv, mia, "subject_kind=risk&subject_id=R-1&purpose=p&name=big.pdf", file_of(3u << 20, 8));
    EXPECT_EQ(full.status, 507u) << full.body;
    EXPECT_NE(full.body.find("full"), std::string::npos) << full.body;
    EXPECT_EQ(files_under(mount / "evidence" / "incoming"), 0u);
    EXPECT_EQ(files_under(mount / "evidence" / "sha256"), 0u);
    EXPECT_EQ(srv.store().current_head().position, before);
    // Space is there for a small one.
    EXPECT_EQ(upload(srv, mia, "subject_kind=risk&subject_id=R-1&purpose=p&name=small.pdf", file_of(4096, 9)).status,
              201u);
  }
  ::umount2(mount.c_str(), MNT_DETACH);
  fs::remove(mount);
}

}  // namespace
}  // namespace isms::testing::evidence_files_test
