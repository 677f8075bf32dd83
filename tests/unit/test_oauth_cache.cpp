// The token cache file: 0600, atomic replacement, corrupt and foreign files refused and
// left alone, two processes writing at once (fork) without a lost update or a torn file;
// and the refresh policy.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"
#include "oauth/refresh_policy.hpp"
#include "oauth/token_cache.hpp"

using namespace mh;
using namespace mh::oauth;

namespace {

struct temp_dir {
  std::string path;
  temp_dir() {
    char t[] = "/tmp/mh-cache-XXXXXX";
    path = ::mkdtemp(t);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void spit(const std::string& p, const std::string& text) { std::ofstream(p) << text; }

cache_key key(std::string scopes = "https://outlook.office365.com/.default", std::string account = "") {
  return {"https://login.microsoftonline.com/", "contoso.onmicrosoft.com", "client-1", std::move(scopes),
          std::move(account)};
}

cache_entry entry(const std::string& at, const std::string& rt = {}) {
  return {secret_string(at), 2'000'000'000, std::nullopt, secret_string(rt), "scope-x", 1'999'990'000};
}

}  // namespace

TEST(OauthCache, RoundTripMode0600AndAtomicReplace) {
  temp_dir d;
  token_cache c(d.path + "/tokens.json");
  std::string why;
  std::optional<cache_entry> got;
  EXPECT_FALSE(c.load(key(), got, &why));  // missing file = empty cache
  EXPECT_FALSE(got);

  cache_entry e = entry("access-1", "refresh-1");
  e.refresh_at = 1'999'995'000;
  ASSERT_FALSE(c.store(key(), e, &why)) << why;
  struct stat st {};
  ASSERT_EQ(::stat(c.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((c.path() + ".lock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ::stat(c.path().c_str(), &st);
  ino_t first = st.st_ino;

  ASSERT_FALSE(c.load(key(), got, &why)) << why;
  ASSERT_TRUE(got);
  EXPECT_EQ(got->access_token.reveal(), "access-1");
  EXPECT_EQ(got->refresh_token.reveal(), "refresh-1");
  EXPECT_EQ(got->expires_at, 2'000'000'000);
  EXPECT_EQ(got->refresh_at, 1'999'995'000);
  EXPECT_EQ(got->scope, "scope-x");

  // Scope order, case and the authority's trailing slash do not change the key.
  cache_key k2 = key("HTTPS://outlook.office365.com/.default");
  k2.authority = "https://login.microsoftonline.com";
  ASSERT_FALSE(c.load(k2, got, &why));
  EXPECT_TRUE(got);
  ASSERT_FALSE(c.load(key("https://outlook.office365.com/.default", "alice@contoso.com"), got, &why));
  EXPECT_FALSE(got);  // another account

  // The rotated refresh token replaces the old one; the file is replaced, not rewritten.
  ASSERT_FALSE(c.store(key(), entry("access-2", "refresh-2"), &why));
  ::stat(c.path().c_str(), &st);
  EXPECT_NE(st.st_ino, first);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  c.load(key(), got, &why);
  EXPECT_EQ(got->refresh_token.reveal(), "refresh-2");
  // No temporaries left behind.
  int files = 0;
  for (const auto& f : std::filesystem::directory_iterator(d.path)) files += f.is_regular_file();
  EXPECT_EQ(files, 2);  // tokens.json and tokens.json.lock

  ASSERT_FALSE(c.erase(key(), &why));
  c.load(key(), got, &why);
  EXPECT_FALSE(got);
}

TEST(OauthCache, CorruptAndForeignFilesRefusedAndKept) {
  temp_dir d;
  std::string p = d.path + "/tokens.json";
  const char* bad[] = {
      "",                                                          // empty
      "{\"format\":\"mailharness.token-cache/1\",\"entries\":{",   // truncated
      "{\"accounts\":{}}",                                         // foreign (e.g. an MSAL cache)
      "[]",
      "{\"format\":\"mailharness.token-cache/1\",\"entries\":{\"k\":{\"access_token\":1}}}",
      "{\"format\":1,\"entries\":{}}",                              // format of another type (fuzz)
      "\x89PNG\r\n",
  };
  for (const char* text : bad) {
    spit(p, text);
    token_cache c(p);
    std::string why;
    std::optional<cache_entry> got;
    EXPECT_EQ(c.load(key(), got, &why), errc::cache_unusable) << text;
    EXPECT_NE(why.find(p), std::string::npos) << why;
    EXPECT_EQ(c.store(key(), entry("a"), &why), errc::cache_unusable) << text;
    EXPECT_EQ(slurp(p), text);  // never overwritten
  }
}

TEST(OauthCache, OptionalFieldsOfAnotherTypeAreIgnored) {  // found by fuzz_token_cache
  temp_dir d;
  std::string p = d.path + "/tokens.json";
  spit(p, "{\"format\":\"mailharness.token-cache/1\",\"entries\":{\"" + key().id() +
              "\":{\"access_token\":\"a\",\"expires_at\":1,\"scope\":5,\"obtained_at\":\"x\"}}}");
  token_cache c(p);
  std::string why;
  std::optional<cache_entry> got;
  ASSERT_FALSE(c.load(key(), got, &why)) << why;
  ASSERT_TRUE(got);
  EXPECT_EQ(got->access_token.reveal(), "a");
  EXPECT_EQ(got->scope, "");
  EXPECT_EQ(got->obtained_at, 0);
}

TEST(OauthCache, UnreadableDirectoryIsAnError) {
  token_cache c("/nonexistent-dir-mh/tokens.json");
  std::string why;
  EXPECT_EQ(c.store(key(), entry("a"), &why), errc::cache_unusable);
  EXPECT_NE(why.find("/nonexistent-dir-mh/tokens.json"), std::string::npos) << why;
}

TEST(OauthCache, TwoProcessesWritingAtOnceLoseNothing) {
  temp_dir d;
  std::string p = d.path + "/tokens.json";
  constexpr int per_process = 40;
  pid_t kids[2];
  for (int k = 0; k < 2; ++k) {
    kids[k] = ::fork();
    ASSERT_GE(kids[k], 0);
    if (kids[k] == 0) {
      token_cache c(p);
      std::string why;
      int failures = 0;
      for (int i = 0; i < per_process; ++i)
        failures += c.store(key("scope-" + std::to_string(k) + "-" + std::to_string(i)),
                            entry("token-" + std::to_string(k) + "-" + std::to_string(i)), &why)
                        ? 1 : 0;
      std::_Exit(failures == 0 ? 0 : 1);
    }
  }
  for (pid_t kid : kids) {
    int status = 0;
    ASSERT_EQ(::waitpid(kid, &status, 0), kid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto doc = nlohmann::json::parse(slurp(p));  // throws on a torn file
  EXPECT_EQ(doc["entries"].size(), 2u * per_process);
  token_cache c(p);
  std::string why;
  std::optional<cache_entry> got;
  for (int k = 0; k < 2; ++k)
    for (int i = 0; i < per_process; ++i) {
      ASSERT_FALSE(c.load(key("scope-" + std::to_string(k) + "-" + std::to_string(i)), got, &why));
      ASSERT_TRUE(got) << k << " " << i;
      EXPECT_EQ(got->access_token.reveal(), "token-" + std::to_string(k) + "-" + std::to_string(i));
    }
}

TEST(OauthRefreshPolicy, MarginAndRefreshIn) {
  refresh_policy p;  // 10 minutes
  EXPECT_TRUE(token_usable(1000, 1000 + 601, std::nullopt, p));
  EXPECT_FALSE(token_usable(1000, 1000 + 600, std::nullopt, p));
  EXPECT_FALSE(token_usable(1000, 900, std::nullopt, p));
  EXPECT_TRUE(token_usable(1000, 5000, 1001, p));
  EXPECT_FALSE(token_usable(1000, 5000, 1000, p));  // refresh_in reached
  refresh_policy none{std::chrono::seconds(0)};
  EXPECT_TRUE(token_usable(1000, 1001, std::nullopt, none));
}
