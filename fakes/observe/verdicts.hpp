// Token-refresh verdicts for the clients the fake observed (DESIGN §6): a pure function from
// the event log (observe/events.hpp) to pass / fail / not_applicable per client and verdict.
// Served as GET /_fake/verdicts and written by `mailharness fake --verdicts-file F` at exit;
// fakes/observe/VERDICTS.md is the user-facing copy of the definitions below.
//
// Subjects. A verdict is given per client id and, for delegated tokens, per account (UPN);
// app-only use forms one subject per client id. Events are attributed as follows:
//   token request  = one "token.issued" or "token.error" event (one per request to the token
//     endpoint; requests without a client id are ignored). Account: `upn`; else app-only for
//     grant client_credentials; else the UPN of the request's `refresh_family` (learnt from
//     the family's issued tokens); else the client's only account when it has exactly one,
//     else "unknown" (e.g. a delegated request answered by an injected fault).
//   successful token request = a "token.issued" event with `token` and `lifetime_s` > 0.
//     Its credential is (client id, account, `aud`); its token is fresh at time t while it
//     has more than half its lifetime left (MSAL's refresh_in), with 1 s of tolerance
//     because exp and iat are whole seconds:
//       2 * (issued_at_ms + lifetime_s*1000 - t - 1000) > lifetime_s*1000.
//     A request that follows an `imap.session_expired` of the same credential (issued after
//     the previous token) is never a duplicate or needless: the server asked for it.
//   mail use = one "imap.auth", "pop3.auth" or "smtp.auth" event that carries
//     `token_remaining_s` (the token verified, so its exp is known), attributed by its
//     `client_id` (appid claim) and `principal`/`app_only`; events without a client id are
//     attributed through the token fingerprint of a "token.issued" event, else ignored.
// Verdicts (checked = how many situations were examined; not_applicable when 0; fail when
// violations > 0; pass otherwise):
//   no_expired_token_use       checked: mail uses. Violation: token_remaining_s <= 0.
//   outside_rejection_window   checked: mail uses. Violation: token_remaining_s <= 0 or
//                              token_remaining_s < options.rejection_window_s.
//   refreshes_before_expiry    checked: mail uses. Violation: token_remaining_s <= 0 or
//                              token_remaining_s < options.margin_s. Reports min_remaining_s.
//   single_flight              checked: successful token requests that follow an earlier one
//                              of the same credential. Violation: it came less than
//                              options.burst_window_ms after that earlier one, and the
//                              earlier token was still fresh (a duplicate).
//   no_needless_refresh        checked: as single_flight. Violation: the credential's latest
//                              token was still fresh, and the request came at least
//                              burst_window_ms after it (closer ones are single_flight's).
//   uses_rotated_refresh_token checked: refresh_token grants whose refresh token the fake
//                              knew (`refresh_family` present). Violation: the fake flagged
//                              refresh_token_reused, or the redeemed token is not the latest
//                              one issued in its family so far.
//   scope_on_refresh           checked: refresh_token grants. Violation: no `scope` sent
//                              (`scope_sent` false, or no `scope` when the grant was
//                              answered by an injected fault).
//   backs_off_on_throttle      checked: token-endpoint answers 429 or 503 with a Retry-After
//                              of N > 0 s (`retry_after` of the event, else of the
//                              "token.fault" that produced it). Violation: each later token
//                              request by the same client id (any account) before
//                              at_ms + delay_ms + N*1000 of that answer.
//   reconnects_after_expiry    checked: "imap.session_expired" events whose session login
//                              (the last successful "imap.auth" of the same peer) is known.
//                              Violation: no later successful "imap.auth" to that mailbox by
//                              the same subject with a different token whose
//                              token_remaining_s > 0 (while the fake runs, this may still
//                              come: the verdict is final only at exit).
// Examples: up to max_examples violations per verdict, each with the event index in the
// evaluated vector (= the index of GET /_fake/events until the log drops old events),
// at_ms and a short text. Never a secret: only fingerprints appear.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "observe/events.hpp"

namespace mh::fake {

struct verdict_options {
  int rejection_window_s = 0;    // Exchange rejects tokens with less than ~10 min left (600)
  int margin_s = 0;              // the refresh margin a client promises
  int burst_window_ms = 1000;    // requests closer than this are concurrent (single flight)
};

enum class verdict_result { pass, fail, not_applicable };
std::string_view to_string(verdict_result r);

// The verdict names in report order.
inline constexpr std::string_view verdict_names[] = {
    "no_expired_token_use", "outside_rejection_window", "refreshes_before_expiry",
    "single_flight",        "no_needless_refresh",      "uses_rotated_refresh_token",
    "scope_on_refresh",     "backs_off_on_throttle",    "reconnects_after_expiry"};
inline constexpr std::size_t verdict_count = std::size(verdict_names);
inline constexpr std::size_t max_examples = 5;

struct verdict_example {
  std::size_t event = 0;  // index in the evaluated vector
  std::int64_t at_ms = 0;
  std::string text;
};

struct verdict {
  std::string_view name;
  std::size_t checked = 0;
  std::size_t violations = 0;
  std::vector<verdict_example> examples;          // at most max_examples
  std::optional<std::int64_t> min_remaining_s;    // refreshes_before_expiry only
  verdict_result result() const;
};

enum class account_kind { user, app, unknown };

struct client_verdicts {
  std::string client_id;
  account_kind kind = account_kind::unknown;
  std::string account;                 // the UPN for account_kind::user, else empty
  std::vector<verdict> verdicts;       // one per verdict_names entry, in that order
  const verdict& get(std::string_view name) const;  // throws std::out_of_range
  verdict_result result() const;       // fail if any fails, else pass if any passes
};

struct refresh_verdicts {
  verdict_options options;
  std::size_t events = 0;                // how many events were evaluated
  std::vector<client_verdicts> clients;  // by client id, then user accounts, app, unknown
  const client_verdicts* find(std::string_view client_id, std::string_view account = {}) const;
};

// Evaluates every verdict over `events` (in log order). Pure: no clock, no I/O.
refresh_verdicts evaluate(const std::vector<event>& events, const verdict_options& o);

// {"format": "mailharness.verdicts/1", "options": {...}, "events": N, "result": …,
//  "clients": [{"client_id", "account" (UPN or null), "account_kind" ("user", "app",
//  "unknown"), "result", "verdicts": {<name>: {"result", "checked", "violations",
//  "examples": [{"event", "at_ms", "text"}], "min_remaining_s" (refreshes_before_expiry,
//  when seen)}}}]}. `client_id` non-empty: only that client's entries.
nlohmann::ordered_json to_json(const refresh_verdicts& v, std::string_view client_id = {});

// Options from the JSON object {"rejection_window_s", "refresh_margin_s", "burst_window_ms"}
// (numbers or decimal strings, e.g. query parameters), over `base`; other members are
// ignored. nullopt with *why on a malformed or out-of-range value.
std::optional<verdict_options> verdict_options_from_json(const nlohmann::json& j,
                                                         verdict_options base, std::string* why);
nlohmann::ordered_json to_json(const verdict_options& o);

}  // namespace mh::fake
