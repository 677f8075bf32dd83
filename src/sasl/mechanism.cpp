#include "sasl/mechanism.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/redact.hpp"
#include "core/text.hpp"

namespace mh::sasl {
namespace {

struct entry {
  std::string_view name;
  mech id;
};

constexpr std::array<entry, 10> table = {{
    {"PLAIN", mech::plain},
    {"LOGIN", mech::login},
    {"XOAUTH2", mech::xoauth2},
    {"OAUTHBEARER", mech::oauthbearer},
    {"CRAM-MD5", mech::cram_md5},
    {"NTLM", mech::ntlm},
    {"GSSAPI", mech::gssapi},
    {"EXTERNAL", mech::external},
    {"SCRAM-SHA-1", mech::scram_sha_1},
    {"SCRAM-SHA-256", mech::scram_sha_256},
}};

// SASL name escaping for the gs2 header (RFC 5801 §4): ',' and '=' are escaped.
std::string gs2_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ',') out += "=2C";
    else if (c == '=') out += "=3D";
    else out += c;
  }
  return out;
}

class oauth_mech final : public client_mech {
 public:
  oauth_mech(mech id, std::string payload, const credentials& c)
      : id_(id),
        payload_(std::move(payload)),
        shown_("<" + std::string(mech_name(id)) + " user=" + c.user + " token " +
               fingerprint(c.token.reveal()) + ">") {}
  mech id() const override { return id_; }
  std::string describe() const override { return shown_; }
  secret_string initial_response() const override { return payload_; }
  step on_challenge(std::string_view challenge) override {
    if (!credentials_sent_) {  // two-step form: the server asked for the credentials
      credentials_sent_ = true;
      return {payload_, false};
    }
    server_error_ = std::string(challenge);
    // RFC 7628 §3.2.3: OAUTHBEARER answers an error with a lone ^A; XOAUTH2 clients send
    // an empty response.
    return {secret_string(id_ == mech::oauthbearer ? "\x01" : ""), true};
  }

 private:
  mech id_;
  secret_string payload_;
  std::string shown_;
};

class plain_mech final : public client_mech {
 public:
  explicit plain_mech(const credentials& c)
      : user_(c.user),
        payload_(std::string(1, '\0') + c.user + '\0' + std::string(c.password.reveal())) {}
  mech id() const override { return mech::plain; }
  std::string describe() const override { return "<PLAIN user=" + user_ + " password>"; }
  secret_string initial_response() const override { return payload_; }
  step on_challenge(std::string_view challenge) override {
    if (!credentials_sent_) {
      credentials_sent_ = true;
      return {payload_, false};
    }
    server_error_ = std::string(challenge);
    return {secret_string(""), true};
  }

 private:
  std::string user_;
  secret_string payload_;
};

class login_mech final : public client_mech {
 public:
  explicit login_mech(const credentials& c) : user_(c.user), password_(c.password) {}
  mech id() const override { return mech::login; }
  std::string describe() const override { return "<LOGIN user=" + user_ + " password>"; }
  secret_string initial_response() const override { return {}; }
  step on_challenge(std::string_view) override {
    ++round_;
    if (round_ == 1) return {secret_string(user_), false};
    credentials_sent_ = true;
    return {password_, false};
  }

 private:
  std::string user_;
  secret_string password_;
  int round_ = 0;
};

}  // namespace

std::optional<mech> mech_from_name(std::string_view name) {
  for (const auto& e : table)
    if (iequals(e.name, name)) return e.id;
  return std::nullopt;
}

std::string_view mech_name(mech m) {
  for (const auto& e : table)
    if (e.id == m) return e.name;
  return "NONE";
}

mech_set parse_mech_list(std::string_view names) {
  mech_set s = 0;
  std::size_t i = 0;
  while (i < names.size()) {
    while (i < names.size() && names[i] == ' ') ++i;
    std::size_t j = names.find(' ', i);
    if (j == std::string_view::npos) j = names.size();
    if (j > i)
      if (auto m = mech_from_name(names.substr(i, j - i))) insert(s, *m);
    i = j;
  }
  return s;
}

std::string format_mech_set(mech_set s) {
  std::string out;
  for (const auto& e : table)
    if (contains(s, e.id)) {
      if (!out.empty()) out += ' ';
      out += e.name;
    }
  return out;
}

mech named(choice wanted) {
  switch (wanted) {
    case choice::xoauth2: return mech::xoauth2;
    case choice::oauthbearer: return mech::oauthbearer;
    case choice::plain: return mech::plain;
    case choice::login: return mech::login;
    case choice::automatic: break;
  }
  return mech::none;
}

mech choose(choice wanted, mech_set advertised) {
  if (wanted == choice::automatic) {
    for (mech m : {mech::oauthbearer, mech::xoauth2})
      if (contains(advertised, m)) return m;
    return mech::none;
  }
  mech m = named(wanted);
  return contains(advertised, m) ? m : mech::none;
}

std::string xoauth2_payload(std::string_view user, std::string_view token) {
  std::string p;
  p.reserve(user.size() + token.size() + 20);
  p.append("user=").append(user).append("\x01" "auth=Bearer ").append(token).append("\x01\x01");
  return p;
}

std::string oauthbearer_payload(std::string_view user, std::string_view host, std::uint16_t port,
                                std::string_view token) {
  std::string p = "n,a=" + gs2_escape(user) + ",\x01";
  if (!host.empty()) p.append("host=").append(host).append("\x01");
  if (port) p.append("port=").append(std::to_string(port)).append("\x01");
  p.append("auth=Bearer ").append(token).append("\x01\x01");
  return p;
}

std::unique_ptr<client_mech> make_client_mech(mech m, const credentials& c) {
  switch (m) {
    case mech::xoauth2:
      return std::make_unique<oauth_mech>(m, xoauth2_payload(c.user, c.token.reveal()), c);
    case mech::oauthbearer:
      return std::make_unique<oauth_mech>(
          m, oauthbearer_payload(c.user, c.host, c.port, c.token.reveal()), c);
    case mech::plain: return std::make_unique<plain_mech>(c);
    case mech::login: return std::make_unique<login_mech>(c);
    default: return nullptr;
  }
}

}  // namespace mh::sasl
