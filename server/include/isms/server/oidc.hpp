#pragma once
// Single sign-on through an OpenID Connect provider: the authorization code
// flow with PKCE (RFC 7636, S256), `state` and `nonce` (OpenID Connect Core
// 1.0 §3.1), the provider's discovery document and its JWK set (fetched
// again when a token names a key not seen yet: the provider rotated its
// keys). The ID token is checked with the JOSE layer (jose.hpp): signature,
// issuer, audience, expiry with a clock skew, nonce.
//
// Each sign-in that is begun holds a state for ten minutes, used once: a
// callback with an unknown, used or expired state is refused. At most 10,000
// are held; beyond, the oldest make way. A discovery that failed is tried
// again only after 30 seconds.
//
// Talks to the provider through libcurl (https verified against the system's
// CA store or `ca_file`; http only to a loopback provider, for tests).
//
// Thread-safety: every public member may be called from any thread.

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "isms/server/jose.hpp"

namespace isms::server {

struct oidc_options {
  // The provider's issuer URL ("https://id.example.com/realms/main"); empty:
  // single sign-on is off. Default: none
  std::string issuer;
  std::string client_id;
  // Read from the file named by `oidc_client_secret_file` (mode 0600).
  std::string client_secret;
  // What the sign-in button says: "Sign in with <name>". Default: "single sign-on"
  std::string display_name = "single sign-on";
  // The claim that names the ISMS Ledger user id. Default: preferred_username
  std::string user_claim = "preferred_username";
  // The claim that lists the user's groups (an array of strings). Default: groups
  std::string groups_claim = "groups";
  // Group → role names, for users created at their first sign-in.
  std::map<std::string, std::vector<std::string>> group_roles;
  // Create an unknown user at their first sign-in (with the roles of their
  // groups; refused when none maps to a role); else an unknown user is
  // refused. Default: false
  bool create_users = false;
  // Scopes asked for besides "openid". Default: profile email groups
  std::string extra_scopes = "profile email groups";
  // PEM certificates the provider's chain must lead to. Default: none
  std::filesystem::path ca_file;
  std::chrono::milliseconds timeout{10000};
  // Tolerated clock difference with the provider. Default: 120 s
  std::chrono::seconds clock_skew{120};

  [[nodiscard]] bool enabled() const { return !issuer.empty(); }
};

// Who the provider says signed in.
struct oidc_identity {
  std::string user_id;  // the user_claim's value
  std::string name;
  std::string email;
  std::vector<std::string> groups;
  std::string subject;  // "sub"
  std::int64_t auth_time_s = 0;  // when the provider last authenticated them ("auth_time"), 0 if not said
  std::string purpose;           // as given to begin()
  std::int64_t begun_ms = 0;     // when the sign-in began
};

// An HTTP exchange with a provider: GET when `form` is empty, else POST of
// `form` as application/x-www-form-urlencoded. Answers (status, body);
// bodies past 1 MiB are refused. `headers`: extra "Name: value" lines.
struct fetched {
  long status = 0;
  std::string body;
};
[[nodiscard]] std::expected<fetched, std::string> fetch(const std::string& url, const std::string& form,
                                                        const std::vector<std::string>& headers,
                                                        std::chrono::milliseconds timeout,
                                                        const std::filesystem::path& ca_file);

class oidc_client {
 public:
  explicit oidc_client(oidc_options options);

  [[nodiscard]] const oidc_options& options() const { return options_; }

  // Begins a sign-in that returns to `redirect_uri`: the provider's
  // authorization URL to send the browser to. `now_ms`: the server's clock.
  // Errors: the provider's discovery document could not be read.
  // `again`: the provider must authenticate the user anew (prompt=login,
  // max_age=0), for a fresh proof; `purpose` comes back from finish().
  [[nodiscard]] std::expected<std::string, std::string> begin(const std::string& redirect_uri, std::int64_t now_ms,
                                                              const std::string& purpose = {}, bool again = false);

  // Finishes the sign-in the provider returned with `state` and `code`:
  // exchanges the code (with the PKCE verifier and the client secret) for
  // tokens and checks the ID token. Errors: a message for the log (the user
  // is told only that the sign-in failed).
  [[nodiscard]] std::expected<oidc_identity, std::string> finish(const std::string& state, const std::string& code,
                                                                 std::int64_t now_ms);

  // Requests sent to the provider since start (discovery, keys, tokens).
  [[nodiscard]] std::uint64_t provider_requests() const;

  // The roles of `groups` by group_roles, each once, in order of mention.
  [[nodiscard]] std::vector<std::string> roles_of(const std::vector<std::string>& groups) const;

 private:
  struct pending {
    std::string nonce;
    std::string verifier;
    std::string redirect_uri;
    std::int64_t expires_ms = 0;
    std::string purpose;
    std::int64_t begun_ms = 0;
  };
  struct provider {
    std::string authorization_endpoint;
    std::string token_endpoint;
    std::string jwks_uri;
  };
  std::expected<provider, std::string> discovered(std::int64_t now_ms);
  std::expected<fetched, std::string> ask(const std::string& url, const std::string& form,
                                          const std::vector<std::string>& headers);
  std::expected<jose::key_set, std::string> keys(bool refresh, std::int64_t now_ms);

  oidc_options options_;
  mutable std::mutex mutex_;
  std::optional<provider> provider_;
  // A discovery that failed is not tried again before this (UTC ms): a
  // provider that is down does not hold the worker threads at every click.
  std::int64_t discovery_retry_ms_ = 0;
  std::string discovery_error_;
  std::uint64_t provider_requests_ = 0;
  std::optional<jose::key_set> keys_;
  std::int64_t keys_fetched_ms_ = 0;
  std::map<std::string, pending> pending_;  // by state
};

}  // namespace isms::server
