#include "oauth/token_cache.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/text.hpp"

namespace mh::oauth {
namespace {

using json = nlohmann::json;
constexpr const char* format_name = "mailharness.token-cache/1";
constexpr std::size_t max_cache_bytes = 16 << 20;

std::string normalise_scopes(const std::string& scopes) {
  std::istringstream in(scopes);
  std::vector<std::string> v;
  for (std::string w; in >> w;) v.push_back(ascii_lower(w));
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  std::string out;
  for (const auto& w : v) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// Reads and validates the whole file. Missing → empty entries object.
std::error_code read_entries(const std::string& path, json& entries, std::string* why) {
  bool missing = false;
  std::string err;
  auto text = read_file_bounded(path, max_cache_bytes, &err, &missing);
  if (!text) {
    if (missing) {
      entries = json::object();
      return {};
    }
    if (why) *why = "token cache " + err;
    return errc::cache_unusable;
  }
  json doc = json::parse(*text, nullptr, false);
  auto refuse = [&](const std::string& what) {
    if (why) *why = "token cache " + path + " " + what + "; refusing to use or overwrite it (move it away or pass --no-cache)";
    return make_error_code(errc::cache_unusable);
  };
  if (doc.is_discarded()) return refuse("is not valid JSON (corrupt or truncated)");
  auto format = doc.is_object() ? doc.find("format") : doc.end();
  if (format == doc.end() || !format->is_string() || *format != format_name)
    return refuse("is not a mailharness token cache (no \"format\": \"" + std::string(format_name) + "\")");
  auto it = doc.find("entries");
  if (it == doc.end() || !it->is_object()) return refuse("has no \"entries\" object");
  for (const auto& [k, e] : it->items()) {
    if (!e.is_object() || !e.contains("expires_at") || !e["expires_at"].is_number_integer() ||
        !e.contains("access_token") || !e["access_token"].is_string())
      return refuse("has a malformed entry");
  }
  entries = std::move(*it);
  return {};
}

class file_lock {
 public:
  explicit file_lock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      err_ = errno;
      return;
    }
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        err_ = errno;
        ::close(fd_);
        fd_ = -1;
        return;
      }
    }
  }
  ~file_lock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;
  int error() const { return err_; }

 private:
  int fd_ = -1;
  int err_ = 0;
};

}  // namespace

std::string cache_key::id() const {
  return ascii_lower(trim_slash(authority)) + "|" + ascii_lower(tenant) + "|" +
         ascii_lower(client_id) + "|" + normalise_scopes(scopes) + "|" + ascii_lower(account);
}

token_cache::token_cache(std::string path) : path_(std::move(path)) {}

std::error_code token_cache::load(const cache_key& k, std::optional<cache_entry>& out,
                                  std::string* why) const {
  out.reset();
  json entries;
  // Readers need no lock: the file is only ever replaced whole by rename.
  if (auto ec = read_entries(path_, entries, why)) return ec;
  auto it = entries.find(k.id());
  if (it == entries.end()) return {};
  const json& e = *it;
  cache_entry c;
  c.access_token = secret_string(e["access_token"].get<std::string>());
  c.expires_at = e["expires_at"].get<std::int64_t>();
  if (e.contains("refresh_at") && e["refresh_at"].is_number_integer())
    c.refresh_at = e["refresh_at"].get<std::int64_t>();
  if (e.contains("refresh_token") && e["refresh_token"].is_string())
    c.refresh_token = secret_string(e["refresh_token"].get<std::string>());
  // Optional fields of another type are ignored, like refresh_at and refresh_token above
  // (json::value() would throw for them).
  if (e.contains("scope") && e["scope"].is_string()) c.scope = e["scope"].get<std::string>();
  if (e.contains("obtained_at") && e["obtained_at"].is_number_integer())
    c.obtained_at = e["obtained_at"].get<std::int64_t>();
  out = std::move(c);
  return {};
}

std::error_code token_cache::update(const std::function<void(json&)>& edit, std::string* why) {
  file_lock lock(path_ + ".lock");
  if (lock.error()) {
    if (why) *why = "cannot lock token cache " + path_ + ".lock: " + std::strerror(lock.error());
    return errc::cache_unusable;
  }
  json entries;
  if (auto ec = read_entries(path_, entries, why)) return ec;
  edit(entries);
  json doc = {{"format", format_name}, {"entries", std::move(entries)}};
  try {
    write_file_atomically(path_, doc.dump(2) + "\n");
  } catch (const std::exception& e) {
    if (why) *why = std::string("token cache: ") + e.what();
    return errc::cache_unusable;
  }
  return {};
}

std::error_code token_cache::store(const cache_key& k, const cache_entry& e, std::string* why) {
  return update(
      [&](json& entries) {
        json j = {{"authority", trim_slash(k.authority)}, {"tenant", k.tenant},
                  {"client_id", k.client_id}, {"scopes", normalise_scopes(k.scopes)},
                  {"account", k.account}, {"access_token", std::string(e.access_token.reveal())},
                  {"expires_at", e.expires_at}, {"obtained_at", e.obtained_at},
                  {"scope", e.scope}};
        if (e.refresh_at) j["refresh_at"] = *e.refresh_at;
        if (!e.refresh_token.empty()) j["refresh_token"] = std::string(e.refresh_token.reveal());
        entries[k.id()] = std::move(j);
      },
      why);
}

std::error_code token_cache::erase(const cache_key& k, std::string* why) {
  return update([&](json& entries) { entries.erase(k.id()); }, why);
}

}  // namespace mh::oauth
