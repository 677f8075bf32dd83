// Tenant profiles: where a tenant's mail and identity endpoints are and how to get tokens
// for it. A profile is a JSON file (comments allowed, format "mailharness.profile/1", see
// README.md "Profiles"), a built-in cloud ("worldwide", "usgov-gcchigh", "usgov-dod",
// "china"), or a running fake's ready file (DESIGN §4). Profiles never hold secrets: they
// name the environment variable or file that does (the fake's ready file, which carries the
// fake's own demo secret, is the one exception).
//
// Errors name the file, line, column and key (config_error), with the nearest valid key for
// a misspelt one.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/secret.hpp"
#include "session/login.hpp"

namespace mh::cli {

struct mail_endpoint {
  std::string host;
  std::uint16_t port = 0;
  tls_mode tls = tls_mode::implicit;
};

struct profile {
  std::string source;               // file path, "builtin:worldwide" or the ready file's path
  std::string cloud = "worldwide";  // which built-in defaults it started from
  std::string authority;            // https://login.microsoftonline.com (no tenant)
  std::string tenant;
  std::string client_id;
  std::string flow;                 // default flow, e.g. "client-credentials"
  std::string scope;                // empty = the cloud's default for the flow
  std::string app_resource;         // https://outlook.office365.com (app-only scope base)
  std::string delegated_resource;   // https://outlook.office.com (delegated scope base)
  // Credential sources (paths are absolute after loading).
  std::string secret_env, secret_file, certificate, private_key, assertion_alg;
  std::string username, password_env, password_file, refresh_token_file;
  std::string ca_file;              // CA for mail servers and the identity platform
  std::map<protocol, mail_endpoint> endpoints;
  std::vector<std::string> mailboxes;
  // Only from a fake's ready file.
  bool is_fake = false;
  std::string control;              // https://localhost:PORT/_fake
  secret_string fake_secret;        // the fake demo app's client secret
  std::vector<std::string> notes;   // e.g. "endpoints not verified against live servers"

  std::string app_only_scope() const { return app_resource + "/.default"; }
  std::string delegated_scope() const;  // IMAP, POP, SMTP and offline_access
};

// The built-in clouds; nullopt for an unknown name.
std::optional<profile> builtin_profile(std::string_view cloud);
std::vector<std::string> builtin_profile_names();

// A profile file; throws config_error. Recognises a fake's ready file by its shape.
profile load_profile(const std::string& path);
// A profile file's text (for tests), `file` naming it in errors.
profile parse_profile(std::string_view text, const std::string& file);

// "--profile X": a built-in cloud name, or a file.
profile resolve_profile(const std::string& name_or_path);

}  // namespace mh::cli
