#include "session/sasl_session.hpp"

#include "core/base64.hpp"
#include "core/error.hpp"

namespace mh {

std::error_code sasl_session::select(const client_params& p, sasl::mech_set advertised,
                                     bool known, std::string& message) {
  sasl::mech m = known ? sasl::choose(p.mech, advertised) : sasl::named(p.mech);
  advertised_ = m != sasl::mech::none;
  if (m == sasl::mech::none) {
    if (!known && p.mech == sasl::choice::automatic) {
      m = sasl::mech::xoauth2;  // nothing advertised: the mechanism Exchange speaks
    } else if (p.mech != sasl::choice::automatic && p.allow_unadvertised) {
      m = sasl::named(p.mech);
    } else {
      std::string offered = sasl::format_mech_set(advertised);
      message = p.mech == sasl::choice::automatic
                    ? "the server advertises no OAuth mechanism (offers: " +
                          (offered.empty() ? std::string("none") : offered) + ")"
                    : "the server does not advertise " +
                          std::string(sasl::mech_name(sasl::named(p.mech))) + " (offers: " +
                          (offered.empty() ? std::string("none") : offered) +
                          "); --allow-unadvertised tries it anyway";
      return make_error_code(errc::mech_unavailable);
    }
  }
  chosen_ = m;
  mech_ = sasl::make_client_mech(m, p.creds);
  if (!mech_) {
    message = "mechanism " + std::string(sasl::mech_name(m)) + " is not supported";
    return make_error_code(errc::config_invalid);
  }
  return {};
}

wire_line sasl_session::command(std::string_view prefix, const sasl::protocol_params& proto,
                                sasl::form form, bool ir_advertised) {
  std::string head = std::string(prefix) + " " + std::string(sasl::mech_name(chosen_));
  secret_string ir = mech_->initial_response();
  bool client_first = chosen_ != sasl::mech::login;
  std::string b64 = ir.empty() ? std::string("=") : base64_encode(ir.reveal());
  used_ir_ = client_first &&
             sasl::use_initial_response(proto, form, ir_advertised, head.size() + 1 + b64.size());
  if (!used_ir_) return {head + "\r\n", head};
  mech_->mark_credentials_sent();
  wire_line out{head + " " + b64 + "\r\n", head + " " + mech_->describe()};
  OPENSSL_cleanse(b64.data(), b64.size());
  return out;
}

std::optional<wire_line> sasl_session::answer(std::string_view challenge_b64) {
  while (!challenge_b64.empty() && challenge_b64.back() == ' ') challenge_b64.remove_suffix(1);
  std::optional<std::string> challenge =
      challenge_b64.empty() ? std::optional<std::string>("") : base64_decode(challenge_b64);
  if (!challenge) return std::nullopt;
  bool was_sent = mech_->credentials_sent();
  sasl::step st = mech_->on_challenge(*challenge);
  std::string b64 = base64_encode(st.response.reveal());
  std::string shown;
  if (st.acknowledges_error)
    shown = b64.empty() ? "" : b64;  // ^A or empty: no secret
  else if (!was_sent && mech_->credentials_sent())
    shown = mech_->describe();
  else
    shown = "<SASL response>";
  wire_line out{b64 + "\r\n", shown};
  OPENSSL_cleanse(b64.data(), b64.size());
  return out;
}

const std::optional<std::string>& sasl_session::server_error() const {
  static const std::optional<std::string> none;
  return mech_ ? mech_->server_error() : none;
}

}  // namespace mh
