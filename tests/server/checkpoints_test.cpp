// Signed checkpoints and Merkle proofs over HTTP, checked the way an auditor
// checks them: the signature with the served public key, the Merkle root
// recomputed from the exported event hashes, and the proofs with RFC 9162's
// verifiers. Also the key file's rules, the checkpoint at an orderly stop, and
// that the log's own checkpoint events leave the views alone.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "isms/canonical/merkle.hpp"
#include "isms/server/checkpoints.hpp"
#include "isms/server/registers_csv.hpp"
#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::checkpoints_test {
namespace {

namespace fs = std::filesystem;
namespace merkle = canonical::merkle;
using server::checkpoint;

// A path for a key file that does not exist yet, removed afterwards.
struct key_path {
  fs::path path;
  key_path() {
    std::string tmpl = (fs::temp_directory_path() / "isms-key-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = fs::path(tmpl) / "signing.key";
  }
  ~key_path() {
    std::error_code ec;
    fs::remove_all(path.parent_path(), ec);
  }
};

std::vector<eventstore::digest> hashes_of(const std::vector<json>& lines) {
  std::vector<eventstore::digest> out;
  for (const auto& l : lines) out.push_back(*eventstore::digest_from_hex(l.at("hash").get<std::string>()));
  return out;
}

std::vector<eventstore::digest> digests(const json& hex_list) {
  std::vector<eventstore::digest> out;
  for (const auto& h : hex_list) out.push_back(*eventstore::digest_from_hex(h.get<std::string>()));
  return out;
}

class checkpoints : public ::testing::Test {
 protected:
  checkpoints()
      : srv([this](server::server_config& c) { c.ledger.signing_key_file = key.path; }) {}

  void SetUp() override {
    auditor = srv.add_user("auditor", {"external_auditor"});
    manager_token = srv.add_user("manager", {"isms_manager"});
    srv.add_user("olga", {"risk_owner"});
    manager = connect_as(srv, manager_token);
    ASSERT_NE(manager, nullptr);
    for (int i = 1; i <= 3; ++i)
      ASSERT_TRUE(ok(manager->command("risk.identify", "risk-R-" + std::to_string(i), identify_data("olga"))));
    srv.app().settle();
  }

  http_result call(const std::string& method, const std::string& target, const std::string& token) {
    return http_call(srv.port(), method, target, {}, {{"authorization", "Bearer " + token}});
  }

  std::vector<json> export_lines() {
    auto r = call("GET", "/api/events?from=1&limit=10000", auditor);
    EXPECT_EQ(r.status, 200u) << r.body;
    std::vector<json> lines;
    std::istringstream in(r.body);
    for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
    return lines;
  }

  checkpoint make_checkpoint() {
    auto r = call("POST", "/api/checkpoints", auditor);
    EXPECT_EQ(r.status, 200u) << r.body;
    auto c = server::checkpoint_from_json(r.json_body());
    EXPECT_TRUE(c) << r.body;
    c->recorded_at = r.json_body().value("recorded_at", std::uint64_t{0});
    return c.value_or(checkpoint{});
  }

  key_path key;
  test_server srv;
  std::string auditor, manager_token;
  std::unique_ptr<ws_client> manager;
};

TEST_F(checkpoints, a_checkpoint_is_signed_by_the_served_key_and_its_root_is_the_tree_of_the_exported_hashes) {
  const checkpoint c = make_checkpoint();
  auto key = call("GET", "/api/checkpoints/key", auditor).json_body();
  EXPECT_EQ(key.at("algorithm"), "Ed25519");
  EXPECT_EQ(c.key, key.at("public_key"));
  EXPECT_EQ(server::fingerprint_of(c.key), key.at("fingerprint"));
  EXPECT_TRUE(server::signature_holds(c));
  checkpoint forged = c;
  forged.position -= 1;
  EXPECT_FALSE(server::signature_holds(forged));

  // The statement covers the log up to its position; the checkpoint's own
  // event follows it, on the checkpoint stream, carrying it.
  const auto lines = export_lines();
  ASSERT_GE(lines.size(), c.position + 1);
  const auto leaves = hashes_of(lines);
  EXPECT_EQ(c.merkle_root, merkle::root(c.position, [&](std::uint64_t i) { return leaves.at(i); }));
  EXPECT_EQ(c.head_hash, leaves.at(c.position - 1));
  const json& recorded = lines.at(c.recorded_at - 1);
  EXPECT_EQ(recorded.at("stream"), server::checkpoint_stream);
  EXPECT_EQ(recorded.at("type"), server::checkpoint_event_type);
  EXPECT_EQ(recorded.at("data").at("signature"), c.signature);

  // Listed, oldest first; nothing new since: the same checkpoint again.
  EXPECT_EQ(make_checkpoint().recorded_at, c.recorded_at);
  auto list = call("GET", "/api/checkpoints", auditor).json_body();
  ASSERT_EQ(list.at("checkpoints").size(), 1u);
  EXPECT_EQ(list.at("checkpoints")[0].at("recorded_at"), c.recorded_at);
  EXPECT_EQ(list.at("key").at("public_key"), c.key);

  // The views skip the log's own records and keep answering at the head.
  ASSERT_TRUE(ok(manager->command("risk.identify", "risk-R-9", identify_data("olga"))));
  srv.app().settle();
  auto risks = manager->query("risks");
  ASSERT_TRUE(ok(risks));
  EXPECT_EQ((*risks)["result"]["position"], srv.store().current_head().position) << risks->dump();
}

TEST_F(checkpoints, inclusion_and_consistency_proofs_verify_against_two_signed_checkpoints) {
  const checkpoint first = make_checkpoint();
  for (int i = 4; i <= 9; ++i)
    ASSERT_TRUE(ok(manager->command("risk.identify", "risk-R-" + std::to_string(i), identify_data("olga"))));
  srv.app().settle();
  const checkpoint second = make_checkpoint();
  ASSERT_GT(second.position, first.position);
  const auto leaves = hashes_of(export_lines());

  // Last year's checkpoint, kept: this year's extends it unchanged.
  auto r = call("GET", "/api/proof/consistency?from=" + std::to_string(first.position) +
                           "&to=" + std::to_string(second.position), auditor);
  ASSERT_EQ(r.status, 200u) << r.body;
  auto proof = digests(r.json_body().at("proof"));
  EXPECT_LE(proof.size(), 2 * 64u);
  EXPECT_TRUE(merkle::verify_consistency(first.position, second.position, first.merkle_root, second.merkle_root, proof));
  EXPECT_FALSE(merkle::verify_consistency(first.position, second.position, second.merkle_root, second.merkle_root, proof));

  // One decision is in the signed history.
  for (std::uint64_t p : {std::uint64_t{1}, first.position, second.position}) {
    r = call("GET", "/api/proof/inclusion?position=" + std::to_string(p) + "&tree_size=" +
                        std::to_string(second.position), auditor);
    ASSERT_EQ(r.status, 200u) << r.body;
    const json body = r.json_body();
    EXPECT_EQ(body.at("leaf"), eventstore::to_hex(leaves.at(p - 1)));
    EXPECT_EQ(body.at("root"), eventstore::to_hex(second.merkle_root));
    EXPECT_TRUE(merkle::verify_inclusion(leaves.at(p - 1), p - 1, second.position, digests(body.at("proof")),
                                         second.merkle_root)) << p;
  }
  // tree_size defaults to the head.
  r = call("GET", "/api/proof/inclusion?position=2", auditor);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json_body().at("tree_size"), srv.store().current_head().position);
}

TEST_F(checkpoints, proofs_and_checkpoints_refuse_bad_questions_and_the_wrong_people) {
  const auto head = std::to_string(srv.store().current_head().position);
  const auto beyond = std::to_string(srv.store().current_head().position + 1);
  for (const std::string& target : std::vector<std::string>{"/api/proof/inclusion", "/api/proof/inclusion?position=0", "/api/proof/inclusion?position=x",
        "/api/proof/inclusion?position=1&tree_size=" + beyond, "/api/proof/inclusion?position=" + beyond,
        "/api/proof/inclusion?position=-1", "/api/proof/consistency?from=0", "/api/proof/consistency",
        "/api/proof/consistency?from=2&to=1", "/api/proof/consistency?from=1&to=" + beyond,
        "/api/proof/consistency?from=99999999999999999999999"}) {
    auto r = call("GET", target, auditor);
    EXPECT_EQ(r.status, 400u) << target << ": " << r.body;
    EXPECT_EQ(r.json_body().at("error").at("code"), "bad_request") << target;
  }
  EXPECT_EQ(call("GET", "/api/checkpoints", manager_token).status, 403u);
  EXPECT_EQ(call("POST", "/api/checkpoints", manager_token).status, 403u);
  EXPECT_EQ(call("GET", "/api/proof/inclusion?position=1", manager_token).status, 403u);
  EXPECT_EQ(call("GET", "/api/proof/consistency?from=1&to=" + head, manager_token).status, 403u);
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/checkpoints/key").status, 401u);
  EXPECT_EQ(http_call(srv.port(), "POST", "/api/checkpoints").status, 401u);
  EXPECT_EQ(call("GET", "/api/checkpoints/key", manager_token).status, 200u);  // the public key is for everyone signed in
  EXPECT_EQ(call("DELETE", "/api/checkpoints", auditor).status, 405u);
}

TEST_F(checkpoints, an_orderly_stop_signs_the_log_as_it_ends_and_the_key_survives_restarts) {
  const std::string public_key = call("GET", "/api/checkpoints/key", auditor).json_body().at("public_key");
  const auto before = srv.store().current_head();
  srv.restart();
  auditor = login(srv.port(), "auditor", "pw-auditor");
  auto list = call("GET", "/api/checkpoints", auditor).json_body().at("checkpoints");
  ASSERT_EQ(list.size(), 1u);
  auto c = server::checkpoint_from_json(list[0]);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->position, before.position);
  EXPECT_EQ(c->head_hash, before.hash);
  EXPECT_EQ(c->key, public_key);
  EXPECT_TRUE(server::signature_holds(*c));
  EXPECT_EQ(srv.store().current_head().position, before.position + 1);
  // Nothing happened since: the next stop signs nothing new.
  srv.restart();
  EXPECT_EQ(srv.store().current_head().position, before.position + 1);
}

// GET /api/evidence: the bundle as an auditor downloads it, unpacked and
// checked by the verify.py it carries.
TEST_F(checkpoints, the_evidence_bundle_downloads_verifies_with_its_own_verifier_and_holds_the_registers) {
  const auto head_before = srv.store().current_head().position;
  for (const std::string& bad : std::vector<std::string>{"/api/evidence?from=x", "/api/evidence?from=" + std::to_string(head_before + 5),
                                 "/api/evidence?from=3&to=2"}) {
    auto r = call("GET", bad, auditor);
    EXPECT_EQ(r.status, 400u) << bad << ": " << r.body;
  }
  EXPECT_EQ(srv.store().current_head().position, head_before) << "a refused bundle signs nothing";
  EXPECT_EQ(call("GET", "/api/evidence", manager_token).status, 403u);
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/evidence").status, 401u);

  // An evidence file attached to R-1: the bundle carries its bytes.
  const std::string bytes = "restore test protocol\nTMS restored in 2 h 40 min\n";
  const auto attached = http_call(srv.port(), "POST",
                                  "/api/evidence-files?subject_kind=risk&subject_id=R-1&purpose=restore%20test&name=t.txt",
                                  bytes, {{"authorization", "Bearer " + manager_token}, {"content-type", "text/plain"}});
  ASSERT_EQ(attached.status, 201u) << attached.body;
  const std::string digest = attached.json_body().at("digest");
  const auto head_at = srv.store().current_head().position;

  auto r = call("GET", "/api/evidence", auditor);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/gzip");
  const std::string name = "isms-evidence-" + std::to_string(head_at);
  EXPECT_NE(r.header("content-disposition").find("attachment; filename=\"" + name + ".tar.gz\""), std::string::npos)
      << r.header("content-disposition");

  const fs::path dir = key.path.parent_path();
  { std::ofstream(dir / "bundle.tar.gz", std::ios::binary) << r.body; }
  const std::string run = "cd '" + dir.string() + "' && tar xzf bundle.tar.gz && python3 " + name + "/verify.py " +
                          name + " > verify.out 2>&1";
  const int status = std::system(run.c_str());
  std::stringstream out;
  out << std::ifstream(dir / "verify.out").rdbuf();
  EXPECT_EQ(status, 0) << out.str();
  EXPECT_EQ(out.str().rfind("ok: " + std::to_string(head_at) + " events", 0), 0u) << out.str();
  EXPECT_NE(out.str().find("evidence files: 1 match"), std::string::npos) << out.str();
  std::stringstream carried;
  carried << std::ifstream(dir / name / "files" / digest, std::ios::binary).rdbuf();
  EXPECT_EQ(carried.str(), bytes);

  std::stringstream risks;
  risks << std::ifstream(dir / name / "registers" / "risk_register.csv").rdbuf();
  EXPECT_EQ(risks.str().rfind("# position " + std::to_string(head_at) + "\nid,title,", 0), 0u) << risks.str();
  for (const char* id : {"\nR-1,", "\nR-2,", "\nR-3,"}) EXPECT_NE(risks.str().find(id), std::string::npos) << id;
}

// The registers' CSV: one header, one row per entry, RFC 4180 quoting, and
// text a spreadsheet would run as a formula kept as text.
TEST(registers_csv, quote_what_needs_quoting_and_keep_formulas_as_text) {
  auto v = domain::views::initial_views();
  auto& r = v.risks.risks["R-7"];
  r.id = "R-7";
  r.title = "Laptop, unencrypted";
  r.description = "ignored";
  r.owner = "=HYPERLINK(\"http://x\")";
  r.threat = "say \"hi\"\nthen go";
  r.controls = {"5.1", "8.24"};
  r.inherent = {4, 5, 20, "high"};
  r.within_appetite = true;
  const auto files = server::registers_csv(v, 42);
  ASSERT_FALSE(files.empty());
  EXPECT_EQ(files[0].name, "risk_register.csv");
  const std::string& text = files[0].text;
  ASSERT_EQ(text.rfind("# position 42\nid,title,owner,", 0), 0u) << text;
  const auto row = text.substr(text.find("\nR-7,") + 1);
  EXPECT_EQ(row.rfind("R-7,\"Laptop, unencrypted\",\"'=HYPERLINK(\"\"http://x\"\")\",", 0), 0u) << row;
  EXPECT_NE(row.find(",\"say \"\"hi\"\"\nthen go\","), std::string::npos) << row;
  EXPECT_NE(row.find(",4,5,20,high,"), std::string::npos) << row;
  EXPECT_NE(row.find(",5.1; 8.24,"), std::string::npos) << row;
  EXPECT_EQ(text.find("ignored"), std::string::npos);

  std::vector<std::string> names;
  for (const auto& f : files) {
    names.push_back(f.name);
    EXPECT_EQ(f.text.rfind("# position 42\n", 0), 0u) << f.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"risk_register.csv", "statement_of_applicability.csv", "objectives.csv",
                                             "nonconformities.csv", "corrective_actions.csv", "internal_audits.csv",
                                             "audit_findings.csv", "management_reviews.csv", "review_actions.csv",
                                             "incidents.csv", "incident_evidence.csv", "suppliers.csv",
                                             "assets.csv"}));
  // The SoA lists all 93 controls of Annex A, undecided ones too.
  const std::string& soa = files[1].text;
  EXPECT_EQ(std::ranges::count(soa, '\n'), 2 + 93);
}

TEST(signing_key_file, is_created_for_its_owner_alone_and_refused_when_others_may_read_it) {
  key_path key;
  bool created = false;
  auto made = server::signing_key::load_or_create(key.path, &created);
  ASSERT_TRUE(made) << made.error();
  EXPECT_TRUE(created);
  struct stat st {};
  ASSERT_EQ(::stat(key.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto again = server::signing_key::load_or_create(key.path, &created);
  ASSERT_TRUE(again) << again.error();
  EXPECT_FALSE(created);
  EXPECT_EQ(again->public_key_hex(), made->public_key_hex());

  fs::permissions(key.path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  auto loose = server::signing_key::load(key.path);
  ASSERT_FALSE(loose);
  EXPECT_NE(loose.error().find("chmod 600"), std::string::npos) << loose.error();

  fs::permissions(key.path, fs::perms::owner_read | fs::perms::owner_write);
  { std::ofstream(key.path, std::ios::trunc) << "isms-ledger ed25519 signing key v1\nnot hex\n"; }
  EXPECT_FALSE(server::signing_key::load(key.path));
  EXPECT_FALSE(made->save_new(key.path));  // never over an existing file
}

TEST(signing_key_file, a_server_whose_key_others_may_read_does_not_start) {
  key_path key;
  ASSERT_TRUE(server::signing_key::generate().save_new(key.path));
  fs::permissions(key.path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  EXPECT_ANY_THROW(test_server srv([&](server::server_config& c) { c.ledger.signing_key_file = key.path; }));
}

}  // namespace
}  // namespace isms::testing::checkpoints_test
