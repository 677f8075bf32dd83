// Redaction: secrets never reach logs, transcripts, reports or error messages.
//
// A `redactor` is told every secret a run uses (tokens, passwords, SASL payloads in raw and
// base64 form) and replaces any occurrence in text with a stand-in that identifies the
// secret without revealing it: `<token sha256:1a2b3c4d>`. Fingerprints are the first 8 hex
// digits of SHA-256, enough to tell tokens apart in a transcript, useless to an attacker.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mh {

// "sha256:" + first 8 hex digits of SHA-256(secret).
std::string fingerprint(std::string_view secret);

class redactor {
 public:
  // Registers `secret` (ignored if shorter than 4 bytes: too short to find safely) with
  // the stand-in `<label sha256:xxxxxxxx>`; also registers its base64 and base64url forms.
  void add(std::string_view secret, std::string_view label);
  // `text` with every registered secret replaced; longest secrets first.
  std::string apply(std::string_view text) const;
  bool empty() const noexcept { return items_.empty(); }

 private:
  void add_exact(std::string_view secret, std::string stand_in);
  struct item {
    std::string secret;
    std::string stand_in;
  };
  std::vector<item> items_;
};

}  // namespace mh
