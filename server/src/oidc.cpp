#include "isms/server/oidc.hpp"

#include <openssl/sha.h>
#include <sodium.h>

#include <algorithm>

#include "isms/server/json_input.hpp"
#include "outbound.hpp"

namespace isms::server {

using nlohmann::json;

namespace {

constexpr std::size_t max_body_bytes = 1 << 20;
constexpr std::int64_t state_lifetime_ms = 10 * 60 * 1000;
constexpr std::size_t max_pending = 10000;
// A token naming an unknown key fetches the set again, at most this often.
constexpr std::int64_t keys_refetch_ms = 10 * 1000;
constexpr std::int64_t discovery_retry_after_ms = 30 * 1000;

std::string random_token(std::size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return jose::base64url_encode(raw);
}

std::string form_escape(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string text_member(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * count > max_body_bytes) return 0;  // ends the transfer
  body->append(data, size * count);
  return size * count;
}

// https://, or http:// to this machine (a provider run by a test).
bool acceptable_url(const std::string& url) {
  if (url.starts_with("https://")) return true;
  for (const char* local : {"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/",
                            "http://[::1]:", "http://[::1]/"})
    if (url.starts_with(local)) return true;
  return false;
}

// The JSON of a 200 answer; null otherwise.
json json_of(const fetched& f) {
  if (f.status != 200) return json();
  return read_json(f.body, 32).value_or(json());
}

}  // namespace

std::expected<fetched, std::string> fetch(const std::string& url, const std::string& form,
                                          const std::vector<std::string>& headers, std::chrono::milliseconds timeout,
                                          const std::filesystem::path& ca_file) {
  if (!acceptable_url(url)) return std::unexpected(url + ": only https:// (or http:// on this machine) is used");
  char error_buffer[CURL_ERROR_SIZE] = {0};
  std::string error;
  curl_handle curl = outbound_transfer(url, "http,https", timeout, ca_file, error_buffer, error);
  if (!curl) return std::unexpected(error);
  CURL* h = curl.get();
  fetched out;
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> list(nullptr, &curl_slist_free_all);
  for (const auto& line : headers) {
    if (line.find_first_of("\r\n") != std::string::npos) return std::unexpected("a header holds a line break");
    curl_slist* next = curl_slist_append(list.get(), line.c_str());
    if (!next) return std::unexpected("out of memory");
    (void)list.release();
    list.reset(next);
  }
  const bool set = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &collect) == CURLE_OK &&
                   curl_easy_setopt(h, CURLOPT_WRITEDATA, &out.body) == CURLE_OK &&
                   curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
                   (!list || curl_easy_setopt(h, CURLOPT_HTTPHEADER, list.get()) == CURLE_OK) &&
                   (form.empty() || (curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.c_str()) == CURLE_OK &&
                                     curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(form.size())) ==
                                         CURLE_OK));
  if (!set) return std::unexpected("libcurl refused an option");
  if (const CURLcode rc = curl_easy_perform(h); rc != CURLE_OK)
    return std::unexpected(error_buffer[0] != '\0' ? std::string(error_buffer) : std::string(curl_easy_strerror(rc)));
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
  return out;
}

oidc_client::oidc_client(oidc_options options) : options_(std::move(options)) {
  while (options_.issuer.ends_with('/')) options_.issuer.pop_back();
}

std::uint64_t oidc_client::provider_requests() const {
  std::lock_guard lock(mutex_);
  return provider_requests_;
}

std::expected<fetched, std::string> oidc_client::ask(const std::string& url, const std::string& form,
                                                     const std::vector<std::string>& headers) {
  {
    std::lock_guard lock(mutex_);
    ++provider_requests_;
  }
  return fetch(url, form, headers, options_.timeout, options_.ca_file);
}

std::expected<oidc_client::provider, std::string> oidc_client::discovered(std::int64_t now_ms) {
  {
    std::lock_guard lock(mutex_);
    if (provider_) return *provider_;
    if (now_ms < discovery_retry_ms_) return std::unexpected(discovery_error_ + " (not asked again yet)");
  }
  const auto failed = [&](std::string why) -> std::expected<provider, std::string> {
    std::lock_guard lock(mutex_);
    discovery_retry_ms_ = now_ms + discovery_retry_after_ms;
    discovery_error_ = why;
    return std::unexpected(std::move(why));
  };
  const std::string url = options_.issuer + "/.well-known/openid-configuration";
  auto got = ask(url, "", {"Accept: application/json"});
  if (!got) return failed("the provider's discovery document: " + got.error());
  const json doc = json_of(*got);
  if (!doc.is_object()) return failed("the provider's discovery document: answered " + std::to_string(got->status));
  // Core discovery §4.3: the issuer in the document is the one configured.
  std::string issuer = text_member(doc, "issuer");
  while (issuer.ends_with('/')) issuer.pop_back();
  if (issuer != options_.issuer)
    return failed("the discovery document names the issuer '" + text_member(doc, "issuer") + "', not '" +
                  options_.issuer + "'");
  provider p{text_member(doc, "authorization_endpoint"), text_member(doc, "token_endpoint"), text_member(doc, "jwks_uri")};
  if (!acceptable_url(p.authorization_endpoint) || !acceptable_url(p.token_endpoint) || !acceptable_url(p.jwks_uri))
    return failed("the discovery document lacks an https authorization, token or JWKS endpoint");
  std::lock_guard lock(mutex_);
  provider_ = p;
  return p;
}

std::expected<jose::key_set, std::string> oidc_client::keys(bool refresh, std::int64_t now_ms) {
  auto p = discovered(now_ms);
  if (!p) return std::unexpected(p.error());
  {
    std::lock_guard lock(mutex_);
    if (keys_ && (!refresh || now_ms - keys_fetched_ms_ < keys_refetch_ms)) return *keys_;
  }
  auto got = ask(p->jwks_uri, "", {"Accept: application/json"});
  if (!got) return std::unexpected("the provider's keys: " + got.error());
  auto set = jose::key_set::from_json(json_of(*got));
  if (!set) return std::unexpected("the provider's keys: " + set.error());
  std::lock_guard lock(mutex_);
  keys_ = *set;
  keys_fetched_ms_ = now_ms;
  return *set;
}

std::expected<std::string, std::string> oidc_client::begin(const std::string& redirect_uri, std::int64_t now_ms,
                                                           const std::string& purpose, bool again) {
  auto p = discovered(now_ms);
  if (!p) return std::unexpected(p.error());
  pending request{random_token(24), random_token(48), redirect_uri, now_ms + state_lifetime_ms, purpose, now_ms};
  const std::string state = random_token(24);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(request.verifier.data()), request.verifier.size(), digest);
  const std::string challenge =
      jose::base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
  const std::string url = p->authorization_endpoint +
                          (p->authorization_endpoint.find('?') == std::string::npos ? "?" : "&") +
                          "response_type=code&client_id=" + form_escape(options_.client_id) +
                          "&redirect_uri=" + form_escape(redirect_uri) + "&scope=" +
                          form_escape("openid" + (options_.extra_scopes.empty() ? "" : " " + options_.extra_scopes)) +
                          "&state=" + state + "&nonce=" + request.nonce + "&code_challenge=" + challenge +
                          "&code_challenge_method=S256" + (again ? "&prompt=login&max_age=0" : "");
  std::lock_guard lock(mutex_);
  std::erase_if(pending_, [&](const auto& kv) { return kv.second.expires_ms <= now_ms; });
  // Bounded: the oldest begun sign-in makes way (the map is keyed by random
  // states, so the oldest is looked for).
  if (pending_.size() >= max_pending)
    pending_.erase(std::ranges::min_element(pending_, {}, [](const auto& kv) { return kv.second.begun_ms; }));
  pending_.emplace(state, std::move(request));
  return url;
}

std::expected<oidc_identity, std::string> oidc_client::finish(const std::string& state, const std::string& code,
                                                              std::int64_t now_ms) {
  pending request;
  {
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(state);
    if (it == pending_.end()) return std::unexpected("an unknown or used state (a replayed or forged callback)");
    request = std::move(it->second);
    pending_.erase(it);  // used once, whatever follows
  }
  if (request.expires_ms <= now_ms) return std::unexpected("the sign-in took longer than ten minutes");
  if (code.empty() || code.size() > 4096) return std::unexpected("no authorization code");
  auto p = discovered(now_ms);
  if (!p) return std::unexpected(p.error());

  // client_secret_basic (RFC 6749 §2.3.1): the id and secret form-encoded, then base64.
  const std::string credentials = form_escape(options_.client_id) + ":" + form_escape(options_.client_secret);
  std::string basic(sodium_base64_ENCODED_LEN(credentials.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(basic.data(), basic.size(), reinterpret_cast<const unsigned char*>(credentials.data()),
                    credentials.size(), sodium_base64_VARIANT_ORIGINAL);
  basic.resize(std::strlen(basic.c_str()));
  const std::string form = "grant_type=authorization_code&code=" + form_escape(code) +
                           "&redirect_uri=" + form_escape(request.redirect_uri) +
                           "&code_verifier=" + form_escape(request.verifier);
  auto got = ask(p->token_endpoint, form,
                 {"Accept: application/json", "Content-Type: application/x-www-form-urlencoded",
                  "Authorization: Basic " + basic});
  if (!got) return std::unexpected("the token endpoint: " + got.error());
  const json tokens = json_of(*got);
  const std::string id_token = text_member(tokens, "id_token");
  if (id_token.empty())
    return std::unexpected("the token endpoint answered " + std::to_string(got->status) + " without an ID token: " +
                           got->body.substr(0, 200));

  auto token = jose::parse(id_token);
  if (!token) return std::unexpected("the ID token: " + token.error());
  auto set = keys(false, now_ms);
  if (!set) return std::unexpected(set.error());
  auto signed_ok = set->verify(*token);
  if (!signed_ok && signed_ok.error() == "unknown_key") {
    // The provider may have rotated its keys since they were fetched.
    set = keys(true, now_ms);
    if (!set) return std::unexpected(set.error());
    signed_ok = set->verify(*token);
  }
  if (!signed_ok) return std::unexpected("the ID token: " + signed_ok.error());
  if (auto c = jose::check_id_token_claims(
          token->claims, {options_.issuer, options_.client_id, request.nonce, now_ms / 1000, options_.clock_skew.count()});
      !c)
    return std::unexpected("the ID token: " + c.error());

  const json& claims = token->claims;
  oidc_identity who;
  who.subject = text_member(claims, "sub");
  who.user_id = text_member(claims, options_.user_claim.c_str());
  who.name = text_member(claims, "name");
  who.email = text_member(claims, "email");
  if (const auto it = claims.find(options_.groups_claim); it != claims.end() && it->is_array())
    for (const auto& g : *it)
      if (g.is_string()) who.groups.push_back(g.get<std::string>());
  if (who.user_id.empty()) return std::unexpected("the ID token carries no '" + options_.user_claim + "' claim");
  if (const auto it = claims.find("auth_time"); it != claims.end() && it->is_number())
    who.auth_time_s = static_cast<std::int64_t>(it->get<double>());
  who.purpose = request.purpose;
  who.begun_ms = request.begun_ms;
  return who;
}

std::vector<std::string> oidc_client::roles_of(const std::vector<std::string>& groups) const {
  std::vector<std::string> roles;
  for (const auto& g : groups)
    if (const auto it = options_.group_roles.find(g); it != options_.group_roles.end())
      for (const auto& r : it->second)
        if (std::ranges::find(roles, r) == roles.end()) roles.push_back(r);
  return roles;
}

}  // namespace isms::server
