// A string that wipes its memory when destroyed or reassigned (Dovecot: "don't keep
// secrets"). Holds access tokens, client secrets and passwords. It never prints itself.
#pragma once

#include <openssl/crypto.h>

#include <string>
#include <string_view>
#include <utility>

namespace mh {

class secret_string {
 public:
  secret_string() = default;
  explicit secret_string(std::string v) : v_(std::move(v)) {}
  secret_string(const secret_string&) = default;
  secret_string& operator=(const secret_string& o) {
    if (this != &o) {
      wipe();
      v_ = o.v_;
    }
    return *this;
  }
  secret_string(secret_string&& o) noexcept : v_(std::move(o.v_)) { o.wipe(); }
  secret_string& operator=(secret_string&& o) noexcept {
    if (this != &o) {
      wipe();
      v_ = std::move(o.v_);
      o.wipe();
    }
    return *this;
  }
  ~secret_string() { wipe(); }

  std::string_view reveal() const noexcept { return v_; }
  bool empty() const noexcept { return v_.empty(); }
  std::size_t size() const noexcept { return v_.size(); }

 private:
  void wipe() noexcept {
    if (!v_.empty()) OPENSSL_cleanse(v_.data(), v_.size());
    v_.clear();
  }
  std::string v_;
};

}  // namespace mh
