#include "isms/server/config.hpp"

#include "isms/server/json_input.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>
#include <vector>

namespace isms::server {

using json = nlohmann::json;

namespace {

// One setting: its name, the range of an integer or the words a choice
// takes, and how to store it.
struct option {
  std::string_view name;
  enum class kind { integer, number, text, boolean, text_list, choice } type;
  double min = 0, max = 0;
  std::function<void(server_config&, const json&)> set;
  std::vector<std::string_view> choices = {};
};

const std::vector<option>& options() {
  using k = option::kind;
  static const std::vector<option> table = {
      {"data", k::text, 0, 0, [](server_config& c, const json& v) { c.data_dir = v.get<std::string>(); }},
      {"address", k::text, 0, 0, [](server_config& c, const json& v) { c.transport.address = v.get<std::string>(); }},
      {"port", k::integer, 0, 65535,
       [](server_config& c, const json& v) { c.transport.port = static_cast<std::uint16_t>(v.get<std::int64_t>()); }},
      {"threads", k::integer, 1, 64,
       [](server_config& c, const json& v) { c.transport.threads = static_cast<unsigned>(v.get<std::int64_t>()); }},
      {"log_format", k::choice, 0, 0,
       [](server_config& c, const json& v) {
         c.log_format = log::parse_format(v.get<std::string>()).value_or(log::format::text);
       },
       {"text", "json"}},
      {"backup_dir", k::text, 0, 0, [](server_config& c, const json& v) { c.ledger.backup_dir = v.get<std::string>(); }},
      {"evidence_dir", k::text, 0, 0, [](server_config& c, const json& v) { c.ledger.evidence_dir = v.get<std::string>(); }},
      {"signing_key", k::text, 0, 0,
       [](server_config& c, const json& v) { c.ledger.signing_key_file = v.get<std::string>(); }},
      {"checkpoint_interval_s", k::integer, 60, 31 * 86400,
       [](server_config& c, const json& v) { c.ledger.checkpoint_interval = std::chrono::seconds{v.get<std::int64_t>()}; }},
      {"webui", k::text, 0, 0, [](server_config& c, const json& v) { c.ledger.webui_dir = v.get<std::string>(); }},
      {"workers", k::integer, 1, 64,
       [](server_config& c, const json& v) { c.ledger.workers = static_cast<unsigned>(v.get<std::int64_t>()); }},
      {"allowed_origins", k::text_list, 0, 0,
       [](server_config& c, const json& v) { c.ledger.allowed_origins = v.get<std::vector<std::string>>(); }},
      {"secure_cookie", k::boolean, 0, 0, [](server_config& c, const json& v) { c.ledger.secure_cookie = v.get<bool>(); }},
      {"tls_certificate", k::text, 0, 0,
       [](server_config& c, const json& v) { c.transport.tls_certificate = v.get<std::string>(); }},
      {"tls_private_key", k::text, 0, 0,
       [](server_config& c, const json& v) { c.transport.tls_private_key = v.get<std::string>(); }},
      {"webhooks", k::text_list, 0, 0,
       [](server_config& c, const json& v) { c.ledger.notify.webhook_urls = v.get<std::vector<std::string>>(); }},
      {"mail_digest_hour_utc", k::integer, 0, 23,
       [](server_config& c, const json& v) { c.ledger.notify.digest_hour = v.get<int>(); }},
      {"notifications_kept_per_user", k::integer, 1, 10000,
       [](server_config& c, const json& v) { c.ledger.centre.keep_per_user = v.get<std::size_t>(); }},
      {"webhook_ca_file", k::text, 0, 0,
       [](server_config& c, const json& v) { c.ledger.notify.webhook_ca_file = v.get<std::string>(); }},
      {"webhook_secret_file", k::text, 0, 0,
       [](server_config& c, const json& v) { c.ledger.webhook_secret_file = v.get<std::string>(); }},
      {"smtp_url", k::text, 0, 0, [](server_config& c, const json& v) { c.ledger.notify.mail.url = v.get<std::string>(); }},
      {"smtp_from", k::text, 0, 0, [](server_config& c, const json& v) { c.ledger.notify.mail.from = v.get<std::string>(); }},
      {"smtp_user", k::text, 0, 0, [](server_config& c, const json& v) { c.ledger.notify.mail.user = v.get<std::string>(); }},
      {"smtp_password_file", k::text, 0, 0,
       [](server_config& c, const json& v) { c.ledger.smtp_password_file = v.get<std::string>(); }},
      {"smtp_require_tls", k::boolean, 0, 0,
       [](server_config& c, const json& v) { c.ledger.notify.mail.require_tls = v.get<bool>(); }},
      {"smtp_ca_file", k::text, 0, 0,
       [](server_config& c, const json& v) { c.ledger.notify.mail.ca_file = v.get<std::string>(); }},
      {"oidc_issuer", k::text, 0, 0, [](server_config& c, const json& v) { c.ledger.oidc.issuer = v.get<std::string>(); }},
      {"oidc_client_id", k::text, 0, 0,
       [](server_config& c, const json& v) { c.ledger.oidc.client_id = v.get<std::string>(); }},
      {"oidc_client_secret_file", k::text, 0, 0,
       [](server_config& c, const json& v) { c.ledger.oidc_client_secret_file = v.get<std::string>(); }},
      {"oidc_name", k::text, 0, 0,
       [](server_config& c, const json& v) { c.ledger.oidc.display_name = v.get<std::string>(); }},
      {"oidc_user_claim", k::text, 0, 0,
       [](server_config& c, const json& v) { c.ledger.oidc.user_claim = v.get<std::string>(); }},
      {"oidc_groups_claim", k::text, 0, 0,
       [](server_config& c, const json& v) { c.ledger.oidc.groups_claim = v.get<std::string>(); }},
      {"oidc_group_roles", k::text_list, 0, 0,
       [](server_config& c, const json& v) {
         // "group=role" each (checked in apply_one).
         c.ledger.oidc.group_roles.clear();
         for (const auto& entry : v) {
           const std::string text = entry.get<std::string>();
           const auto eq = text.rfind('=');
           if (eq == std::string::npos) continue;
           c.ledger.oidc.group_roles[text.substr(0, eq)].push_back(text.substr(eq + 1));
         }
       }},
      {"oidc_create_users", k::boolean, 0, 0,
       [](server_config& c, const json& v) { c.ledger.oidc.create_users = v.get<bool>(); }},
      {"oidc_ca_file", k::text, 0, 0, [](server_config& c, const json& v) { c.ledger.oidc.ca_file = v.get<std::string>(); }},
      {"public_url", k::text, 0, 0,
       [](server_config& c, const json& v) { c.ledger.notify.mail.web_url = v.get<std::string>(); }},
      {"scheduler_interval_s", k::integer, 1, 86400,
       [](server_config& c, const json& v) { c.ledger.scheduler_interval = std::chrono::seconds{v.get<std::int64_t>()}; }},
      {"views_snapshot_every", k::integer, 1, 100000000,
       [](server_config& c, const json& v) { c.ledger.projections.snapshot_every = v.get<std::uint64_t>(); }},
      {"views_snapshot_bytes_per_event", k::integer, 1, 1 << 20,
       [](server_config& c, const json& v) { c.ledger.projections.snapshot_bytes_per_event = v.get<std::size_t>(); }},
      {"views_cached", k::integer, 0, 64,
       [](server_config& c, const json& v) { c.ledger.projections.cached_views = v.get<std::size_t>(); }},
      {"history_cache_events", k::integer, 0, 10000000,
       [](server_config& c, const json& v) { c.ledger.pipeline.history_cache_events = v.get<std::size_t>(); }},
      {"state_cache_streams", k::integer, 0, 10000000,
       [](server_config& c, const json& v) { c.ledger.pipeline.state_cache_streams = v.get<std::size_t>(); }},
      {"view_reply_cache_bytes", k::integer, 0, 1 << 30,
       [](server_config& c, const json& v) { c.ledger.ws.view_reply_cache_bytes = v.get<std::size_t>(); }},
      // limits
      {"max_body_bytes", k::integer, 1024, 64 << 20,
       [](server_config& c, const json& v) { c.transport.max_body_bytes = v.get<std::size_t>(); }},
      {"max_evidence_bytes", k::integer, 1024, std::int64_t{1} << 36,
       [](server_config& c, const json& v) { c.ledger.evidence.max_file_bytes = v.get<std::uint64_t>(); }},
      {"read_timeout_s", k::integer, 1, 3600,
       [](server_config& c, const json& v) { c.transport.read_timeout = std::chrono::seconds{v.get<std::int64_t>()}; }},
      {"max_connections", k::integer, 1, 1000000,
       [](server_config& c, const json& v) { c.transport.max_connections = v.get<std::size_t>(); }},
      {"max_ws_message_bytes", k::integer, 1024, 16 << 20,
       [](server_config& c, const json& v) { c.ledger.ws.max_message_bytes = v.get<std::size_t>(); }},
      {"max_ws_frame_bytes", k::integer, 1024, 64 << 20,
       [](server_config& c, const json& v) { c.transport.max_ws_message_bytes = v.get<std::size_t>(); }},
      {"max_ws_queued_bytes", k::integer, 64 * 1024, 1 << 30,
       [](server_config& c, const json& v) {
         // One reply never exceeds the queue bound: larger ones are answered too_large.
         c.transport.max_ws_queued_bytes = v.get<std::size_t>();
         c.ledger.ws.max_reply_bytes = v.get<std::size_t>();
       }},
      {"default_page_size", k::integer, 1, 100000,
       [](server_config& c, const json& v) { c.ledger.ws.default_page_size = v.get<std::size_t>(); }},
      {"max_page_size", k::integer, 1, 100000,
       [](server_config& c, const json& v) { c.ledger.ws.max_page_size = v.get<std::size_t>(); }},
      {"session_sweep_interval_s", k::integer, 1, 3600,
       [](server_config& c, const json& v) {
         c.ledger.session_sweep_interval = std::chrono::seconds{v.get<std::int64_t>()};
       }},
      {"ws_idle_timeout_s", k::integer, 5, 86400,
       [](server_config& c, const json& v) { c.transport.ws_idle_timeout = std::chrono::seconds{v.get<std::int64_t>()}; }},
      {"shutdown_grace_ms", k::integer, 0, 600000,
       [](server_config& c, const json& v) { c.transport.shutdown_grace = std::chrono::milliseconds{v.get<std::int64_t>()}; }},
      {"requests_per_second", k::number, 0.1, 100000,
       [](server_config& c, const json& v) { c.ledger.ws.requests_per_second = v.get<double>(); }},
      {"request_burst", k::number, 1, 100000,
       [](server_config& c, const json& v) { c.ledger.ws.burst = v.get<double>(); }},
      {"max_subscriptions", k::integer, 1, 10000,
       [](server_config& c, const json& v) { c.ledger.ws.max_subscriptions = v.get<std::size_t>(); }},
      {"login_failures_per_account", k::integer, 1, 1000,
       [](server_config& c, const json& v) { c.ledger.auth.max_failures_per_account = v.get<std::size_t>(); }},
      {"login_failures_per_address", k::integer, 1, 100000,
       [](server_config& c, const json& v) { c.ledger.auth.max_failures_per_address = v.get<std::size_t>(); }},
      {"second_factor_roles", k::text_list, 0, 0,
       [](server_config& c, const json& v) {
         c.ledger.auth.second_factor_roles.clear();
         for (const auto& r : v)
           if (auto role = domain::role_from_string(r.get<std::string>())) c.ledger.auth.second_factor_roles.push_back(*role);
       },
       {"admin", "isms_manager", "top_management", "risk_owner", "contributor", "internal_auditor",
        "external_auditor"}},
      {"second_factor_key_file", k::text, 0, 0,
       [](server_config& c, const json& v) { c.ledger.second_factor_key_file = v.get<std::string>(); }},
      {"second_factor_issuer", k::text, 0, 0,
       [](server_config& c, const json& v) { c.ledger.auth.second_factor_issuer = v.get<std::string>(); }},
      {"login_window_s", k::integer, 1, 86400,
       [](server_config& c, const json& v) { c.ledger.auth.login_window = std::chrono::seconds{v.get<std::int64_t>()}; }},
      {"session_ttl_s", k::integer, 60, 90 * 86400,
       [](server_config& c, const json& v) { c.ledger.auth.session_ttl = std::chrono::seconds{v.get<std::int64_t>()}; }},
      {"max_export_events", k::integer, 1, 1000000,
       [](server_config& c, const json& v) { c.ledger.max_export_events = v.get<std::size_t>(); }},
      {"max_json_depth", k::integer, 4, 256,
       [](server_config& c, const json& v) {
         c.ledger.max_json_depth = v.get<std::size_t>();
         c.ledger.ws.max_json_depth = v.get<std::size_t>();
       }},
  };
  return table;
}

const option* find_option(std::string_view name) {
  for (const auto& o : options())
    if (o.name == name) return &o;
  return nullptr;
}

std::expected<void, std::string> apply_one(const option& o, const json& v, server_config& config) {
  const std::string name(o.name);
  switch (o.type) {
    case option::kind::integer: {
      if (!v.is_number_integer() && !v.is_number_unsigned()) return std::unexpected(name + ": must be an integer");
      const double d = v.get<double>();
      if (d < o.min || d > o.max)
        return std::unexpected(name + ": must be between " + std::to_string(static_cast<long long>(o.min)) + " and " +
                               std::to_string(static_cast<long long>(o.max)));
      break;
    }
    case option::kind::number: {
      if (!v.is_number()) return std::unexpected(name + ": must be a number");
      const double d = v.get<double>();
      if (!(d >= o.min && d <= o.max)) return std::unexpected(name + ": out of range");
      break;
    }
    case option::kind::text:
      if (!v.is_string() || v.get_ref<const std::string&>().empty())
        return std::unexpected(name + ": must be a non-empty string");
      break;
    case option::kind::boolean:
      if (!v.is_boolean()) return std::unexpected(name + ": must be true or false");
      break;
    case option::kind::text_list:
      if (!v.is_array()) return std::unexpected(name + ": must be a list of strings");
      for (const auto& e : v) {
        if (!e.is_string()) return std::unexpected(name + ": must be a list of strings");
        // A list of words from `choices`, when the setting names them.
        if (!o.choices.empty() && std::ranges::find(o.choices, e.get_ref<const std::string&>()) == o.choices.end()) {
          std::string words;
          for (const auto& c : o.choices) words += (words.empty() ? "\"" : ", \"") + std::string(c) + "\"";
          return std::unexpected(name + ": \"" + e.get<std::string>() + "\" is not one of " + words);
        }
        if (o.name == "oidc_group_roles") {
          const std::string& text = e.get_ref<const std::string&>();
          const auto eq = text.rfind('=');
          if (eq == std::string::npos || eq == 0 || !domain::role_from_string(text.substr(eq + 1)))
            return std::unexpected(name + ": \"" + text + "\" is not group=role (a role such as top_management)");
        }
      }
      break;
    case option::kind::choice: {
      const bool known = v.is_string() && std::ranges::find(o.choices, v.get_ref<const std::string&>()) !=
                                              o.choices.end();
      if (!known) {
        std::string words;
        for (const auto& c : o.choices) words += (words.empty() ? "\"" : ", \"") + std::string(c) + "\"";
        return std::unexpected(name + ": must be one of " + words);
      }
      break;
    }
  }
  o.set(config, v);
  return {};
}

}  // namespace

std::expected<void, std::string> apply_config(const json& doc, server_config& config) {
  if (!doc.is_object()) return std::unexpected("the config must be a JSON object");
  for (const auto& [key, value] : doc.items()) {
    if (key == "limits") {
      if (!value.is_object()) return std::unexpected("limits: must be an object");
      for (const auto& [lkey, lvalue] : value.items()) {
        const option* o = find_option(lkey);
        if (!o || o->name == "data" || o->name == "address" || o->name == "port" || o->name == "backup_dir" || o->name == "evidence_dir" ||
            o->name == "signing_key" || o->name == "log_format" || o->name == "tls_certificate" ||
            o->name == "tls_private_key")
          return std::unexpected("limits." + lkey + ": unknown setting");
        if (auto r = apply_one(*o, lvalue, config); !r) return std::unexpected("limits." + r.error());
      }
      continue;
    }
    const option* o = find_option(key);
    if (!o) return std::unexpected(key + ": unknown setting");
    if (auto r = apply_one(*o, value, config); !r) return r;
  }
  return {};
}

std::expected<void, std::string> apply_flags(const std::map<std::string, std::string>& flags, server_config& config) {
  for (const auto& [name, text] : flags) {
    if (name == "config") continue;
    const option* o = find_option(name);
    if (!o) return std::unexpected("--" + name + ": unknown flag");
    json value;
    switch (o->type) {
      case option::kind::integer: {
        long long n = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec != std::errc{} || p != text.data() + text.size()) return std::unexpected("--" + name + ": must be an integer");
        value = n;
        break;
      }
      case option::kind::number: {
        try {
          std::size_t used = 0;
          value = std::stod(text, &used);
          if (used != text.size()) throw std::invalid_argument("trailing");
        } catch (const std::exception&) {
          return std::unexpected("--" + name + ": must be a number");
        }
        break;
      }
      case option::kind::text:
      case option::kind::choice: value = text; break;
      case option::kind::boolean:
        if (text != "true" && text != "false") return std::unexpected("--" + name + ": must be true or false");
        value = text == "true";
        break;
      case option::kind::text_list: {
        value = json::array();
        std::stringstream ss(text);
        for (std::string item; std::getline(ss, item, ',');)
          if (!item.empty()) value.push_back(item);
        break;
      }
    }
    if (auto r = apply_one(*o, value, config); !r) return std::unexpected("--" + r.error());
  }
  return {};
}

std::expected<void, std::string> finish_config(server_config& config) {
  const bool certificate = !config.transport.tls_certificate.empty();
  const bool key = !config.transport.tls_private_key.empty();
  if (certificate != key)
    return std::unexpected(std::string(certificate ? "tls_certificate is set but tls_private_key is not"
                                                   : "tls_private_key is set but tls_certificate is not") +
                           ": TLS needs both (or neither, for plain HTTP)");
  if (certificate) {
    // Browsers reach this server over HTTPS only: the cookie must never
    // travel in clear, and the server's own origin is https://<Host>.
    config.ledger.secure_cookie = true;
    config.ledger.transport_tls = true;
  }
  return {};
}

std::expected<void, std::string> load_config_file(const std::filesystem::path& file, server_config& config) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::unexpected("cannot read config file " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  auto doc = read_json(text.str());
  if (!doc) return std::unexpected(file.string() + ": " + doc.error().message);
  if (auto r = apply_config(*doc, config); !r) return std::unexpected(file.string() + ": " + r.error());
  return {};
}

}  // namespace isms::server
