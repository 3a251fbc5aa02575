#include "outbound.hpp"

#include <algorithm>
#include <climits>

namespace isms::server {

namespace {
// libcurl's process-wide set-up, once, before the first transfer.
bool curl_ready() {
  static const bool ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ready;
}
}  // namespace

curl_handle outbound_transfer(const std::string& url, const char* protocols, std::chrono::milliseconds timeout,
                              const std::filesystem::path& ca_file, char* error_buffer, std::string& error) {
  curl_handle none(nullptr, &curl_easy_cleanup);
  if (!curl_ready()) {
    error = "libcurl could not be initialised";
    return none;
  }
  curl_handle curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) {
    error = "libcurl could not start a transfer";
    return none;
  }
  const long timeout_ms = static_cast<long>(std::clamp<std::int64_t>(timeout.count(), 1, LONG_MAX));
  CURL* h = curl.get();
  const bool set = curl_easy_setopt(h, CURLOPT_URL, url.c_str()) == CURLE_OK &&
                   curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols) == CURLE_OK &&
                   curl_easy_setopt(h, CURLOPT_PROXY, "") == CURLE_OK &&  // not from http_proxy & co.
                   curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
                   curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK &&
                   curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
                   curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
                   (ca_file.empty() || curl_easy_setopt(h, CURLOPT_CAINFO, ca_file.c_str()) == CURLE_OK) &&
                   curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer) == CURLE_OK;
  if (!set) {
    error = "libcurl refused an option";
    return none;
  }
  return curl;
}

}  // namespace isms::server
