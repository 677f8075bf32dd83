// The token cache file reader (src/oauth/token_cache.hpp). The input is the cache file's
// contents, written (0600) to a file in a temporary folder the target creates once and
// removes at exit. Contract: a file that is not a valid mailharness.token-cache/1 document is
// refused with errc::cache_unusable and a message naming the file, and is never overwritten;
// a valid one gives back exactly the entry stored under the key, and a store keeps every
// other entry.
// fuzz-runs: 5000
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "oauth/token_cache.hpp"

namespace {

struct temp_dir {
  std::string dir;
  temp_dir() {
    std::string t = (std::filesystem::temp_directory_path() / "mh-fuzz-token-cache-XXXXXX").string();
    if (!::mkdtemp(t.data())) std::abort();
    dir = t;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

const std::string& cache_path() {
  static temp_dir d;
  static const std::string path = d.dir + "/cache.json";
  return path;
}

void write_input(const std::string& path, const std::uint8_t* data, std::size_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) std::abort();
  for (std::size_t off = 0; off < size;) {
    auto n = ::write(fd, data + off, size - off);
    if (n <= 0) std::abort();
    off += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

std::string read_back(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The key whose id() is `id`, when `id` is already in normal form ("a|t|c|scopes|account").
mh::oauth::cache_key key_from_id(const std::string& id) {
  std::vector<std::string> parts(1);
  for (char c : id) {
    if (c == '|' && parts.size() < 5) parts.emplace_back();
    else parts.back() += c;
  }
  parts.resize(5);
  return {parts[0], parts[1], parts[2], parts[3], parts[4]};
}

// An error is cache_unusable with a message naming the file.
void check_refusal(std::error_code ec, const std::string& why, const std::string& path) {
  if (ec != mh::errc::cache_unusable || why.find(path) == std::string::npos) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = cache_path();
  write_input(path, data, size);
  mh::oauth::token_cache cache(path);

  // Keys: every entry key of the input in normal form (so load finds it), and a fixed one.
  std::vector<mh::oauth::cache_key> keys = {{"https://login.microsoftonline.com", "contoso", "app", "x", ""}};
  auto doc = nlohmann::json::parse(data, data + size, nullptr, false);
  const nlohmann::json* entries = nullptr;
  if (doc.is_object() && doc.contains("entries") && doc["entries"].is_object()) entries = &doc["entries"];
  if (entries)
    for (const auto& item : entries->items()) {
      if (keys.size() > 4) break;
      keys.push_back(key_from_id(item.key()));
    }

  bool usable = true;
  for (const auto& k : keys) {
    std::optional<mh::oauth::cache_entry> out;
    std::string why;
    auto ec = cache.load(k, out, &why);
    if (ec) {
      check_refusal(ec, why, path);
      usable = false;
      if (out) __builtin_trap();
      continue;
    }
    if (!entries) __builtin_trap();  // a usable file is a JSON object with "entries"
    auto it = entries->find(k.id());
    if (out.has_value() != (it != entries->end())) __builtin_trap();
    if (out && (*it)["access_token"].get<std::string>() != out->access_token.reveal()) __builtin_trap();
  }

  // A store on an unusable file fails and leaves it as it was; on a usable one it keeps the
  // other entries and gives back what was stored.
  mh::oauth::cache_key fresh{"https://login.microsoftonline.com/", "Contoso", "App", "b a A", "U@x"};
  mh::oauth::cache_entry e;
  e.access_token = mh::secret_string("token-value");
  e.expires_at = 4102444800;
  e.scope = "a b";
  std::string why;
  auto ec = cache.store(fresh, e, &why);
  if (!usable) {
    check_refusal(ec, why, path);
    auto now = read_back(path);
    if (now.size() != size || (size && now.compare(0, size, reinterpret_cast<const char*>(data), size) != 0))
      __builtin_trap();
    return 0;
  }
  if (ec) return 0;  // only an I/O failure could get here: not the parser's business
  for (const auto& k : keys) {
    std::optional<mh::oauth::cache_entry> after;
    std::string w;
    if (k.id() == fresh.id()) continue;
    if (cache.load(k, after, &w)) __builtin_trap();
    if (entries && entries->contains(k.id()) != after.has_value()) __builtin_trap();
  }
  std::optional<mh::oauth::cache_entry> got;
  if (cache.load(fresh, got, &why) || !got || got->access_token.reveal() != "token-value" || got->scope != "a b")
    __builtin_trap();
  return 0;
}
