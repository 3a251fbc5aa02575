// The canonical form: SHA-256 through OpenSSL and canonical JSON, as
// specified in docs/eventstore.md.
#include "isms/canonical/canonical.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <new>
#include <stdexcept>
#include <vector>

namespace isms::canonical {

// ---- SHA-256 ----------------------------------------------------------------

namespace {

// The fetched SHA-256 implementation, shared by every thread (OpenSSL 3 makes
// fetched EVP_MD objects safe to share).
const EVP_MD* sha256_md() {
  static const EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) throw std::runtime_error("OpenSSL: SHA256 unavailable");
    return m;
  }();
  return md;
}

// Contexts are kept per thread once made and handed to one hasher at a time,
// so nested hashers never share one and hashing allocates only at first use.
struct context_pool {
  std::vector<EVP_MD_CTX*> idle;
  ~context_pool() {
    for (auto* c : idle) EVP_MD_CTX_free(c);
  }
};

context_pool& local_pool() {
  thread_local context_pool pool;
  return pool;
}

EVP_MD_CTX* take_context() {
  auto& pool = local_pool();
  if (!pool.idle.empty()) {
    EVP_MD_CTX* c = pool.idle.back();
    pool.idle.pop_back();
    return c;
  }
  EVP_MD_CTX* c = EVP_MD_CTX_new();
  if (c == nullptr) throw std::bad_alloc();
  return c;
}

}  // namespace

hasher::hasher() : ctx_(take_context()) {
  if (EVP_DigestInit_ex2(ctx_, sha256_md(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw std::runtime_error("OpenSSL: SHA256 init failed");
  }
}

hasher::~hasher() {
  if (ctx_ == nullptr) return;
  auto& pool = local_pool();
  if (pool.idle.size() < 16) {
    pool.idle.push_back(ctx_);
  } else {
    EVP_MD_CTX_free(ctx_);
  }
}

void hasher::update(const void* data, std::size_t n) { EVP_DigestUpdate(ctx_, data, n); }

digest hasher::finish() {
  digest d{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_, d.data(), &n);
  return d;
}

// ---- canonical JSON ---------------------------------------------------------

bool valid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;  // continuation byte, overlong lead (c0, c1) or > f4
    }
    if (static_cast<std::size_t>(end - p) <= n) return false;
    for (std::size_t i = 1; i <= n; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    p += n + 1;
  }
  return true;
}

namespace {

bool append_json_string(std::string& out, std::string_view s) {
  if (!valid_utf8(s)) return false;
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the current run of bytes copied verbatim
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        out.append(esc, 6);
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
  return true;
}

bool append_json(std::string& out, const nlohmann::json& v, int depth) {
  using vt = nlohmann::json::value_t;
  if (depth > max_depth) return false;
  switch (v.type()) {
    case vt::null: out.append("null"); return true;
    case vt::boolean: out.append(v.get_ref<const bool&>() ? "true" : "false"); return true;
    case vt::number_integer: {
      char b[24];
      auto r = std::to_chars(b, b + sizeof b, v.get_ref<const std::int64_t&>());
      out.append(b, r.ptr);
      return true;
    }
    case vt::number_unsigned: {
      char b[24];
      auto r = std::to_chars(b, b + sizeof b, v.get_ref<const std::uint64_t&>());
      out.append(b, r.ptr);
      return true;
    }
    case vt::number_float: {
      const double d = v.get_ref<const double&>();
      if (!std::isfinite(d)) return false;
      if (d == 0) {  // -0.0 too: "-0" would read back as the integer 0
        out.push_back('0');
        return true;
      }
      char b[40];
      const int n = std::snprintf(b, sizeof b, "%.17g", d);
      if (n <= 0 || static_cast<std::size_t>(n) >= sizeof b) return false;
      out.append(b, static_cast<std::size_t>(n));
      return true;
    }
    case vt::string: return append_json_string(out, v.get_ref<const std::string&>());
    case vt::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& x : v) {
        if (!first) out.push_back(',');
        first = false;
        if (!append_json(out, x, depth + 1)) return false;
      }
      out.push_back(']');
      return true;
    }
    case vt::object: {
      // nlohmann's object_t is a std::map<std::string, …>: iteration is in
      // byte order of the keys (std::char_traits<char> compares as unsigned char).
      out.push_back('{');
      bool first = true;
      for (const auto& [k, x] : v.get_ref<const nlohmann::json::object_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        if (!append_json_string(out, k)) return false;
        out.push_back(':');
        if (!append_json(out, x, depth + 1)) return false;
      }
      out.push_back('}');
      return true;
    }
    case vt::binary:
    case vt::discarded: return false;
  }
  return false;
}

}  // namespace

bool append_json(std::string& out, const nlohmann::json& v) { return append_json(out, v, 0); }

digest sha256(std::string_view bytes) {
  hasher h;
  h.update(bytes);
  return h.finish();
}

std::string to_hex(const digest& d) {
  static constexpr char k[] = "0123456789abcdef";
  std::string s(64, '0');
  for (std::size_t i = 0; i < d.size(); ++i) {
    s[2 * i] = k[d[i] >> 4];
    s[2 * i + 1] = k[d[i] & 15];
  }
  return s;
}

std::optional<digest> digest_from_hex(std::string_view hex) noexcept {
  if (hex.size() != 64) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  digest d{};
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return d;
}

std::string sha256_hex(std::string_view bytes) { return to_hex(sha256(bytes)); }

std::optional<std::string> json_text(const nlohmann::json& v) {
  std::string out;
  if (!append_json(out, v)) return std::nullopt;
  return out;
}

std::optional<std::string> json_sha256_hex(const nlohmann::json& v) {
  auto text = json_text(v);
  if (!text) return std::nullopt;
  return sha256_hex(*text);
}

}  // namespace isms::canonical
