// evaluate(): attribution of events to subjects, then one pass in log order applying the
// rules of verdicts.hpp. JSON output and options are in verdicts_json.cpp.
#include "observe/verdicts.hpp"

#include <deque>
#include <map>
#include <set>
#include <tuple>

#include "core/text.hpp"

namespace mh::fake {
namespace {

// Event fields, tolerant of absent or mistyped members (event files of older fakes).
std::string str(const nlohmann::json& d, const char* k) {
  auto it = d.find(k);
  return it != d.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::int64_t> num(const nlohmann::json& d, const char* k) {
  auto it = d.find(k);
  if (it == d.end() || !it->is_number()) return std::nullopt;
  return it->get<std::int64_t>();
}

bool flag(const nlohmann::json& d, const char* k) {
  auto it = d.find(k);
  return it != d.end() && it->is_boolean() && it->get<bool>();
}

bool is_token_request(const event& e) { return e.kind == "token.issued" || e.kind == "token.error"; }

bool is_mail_auth(const event& e) {
  return e.kind == "imap.auth" || e.kind == "pop3.auth" || e.kind == "smtp.auth";
}

struct subject_key {
  std::string client_id;
  account_kind kind = account_kind::unknown;
  std::string account;  // lower-cased UPN (user), else empty
  auto operator<=>(const subject_key&) const = default;
};

subject_key user_key(const std::string& client, const std::string& upn) {
  return {client, account_kind::user, ascii_lower(upn)};
}

// Who each event belongs to (nullopt: no client id, not attributable), with "unknown"
// accounts resolved to the client's only user account when it has exactly one.
std::vector<std::optional<subject_key>> attribute(const std::vector<event>& events,
                                                  std::map<subject_key, std::string>& display) {
  std::map<std::string, std::string> family_upn;  // refresh family -> UPN
  struct owner {
    std::string client;
    std::string upn;  // empty: app-only
  };
  std::map<std::string, owner> token_owner;  // access-token fingerprint -> owner
  for (const auto& e : events) {
    if (!is_token_request(e)) continue;
    std::string upn = str(e.data, "upn");
    if (std::string fam = str(e.data, "refresh_family"); !fam.empty() && !upn.empty())
      family_upn.emplace(fam, upn);
    if (std::string tok = str(e.data, "token"); !tok.empty() && e.kind == "token.issued")
      token_owner.emplace(tok, owner{str(e.data, "client_id"), upn});
  }

  std::vector<std::optional<subject_key>> out(events.size());
  std::map<std::string, std::set<std::string>> users_of;  // client -> lower-cased UPNs
  auto assign = [&](std::size_t i, const std::string& client, account_kind kind,
                    const std::string& upn) {
    subject_key k = kind == account_kind::user ? user_key(client, upn)
                                                : subject_key{client, kind, {}};
    if (kind == account_kind::user) users_of[client].insert(k.account);
    display.emplace(k, upn);
    out[i] = std::move(k);
  };
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& d = events[i].data;
    if (is_token_request(events[i])) {
      std::string client = str(d, "client_id");
      if (client.empty()) continue;
      std::string upn = str(d, "upn");
      if (upn.empty())
        if (auto f = family_upn.find(str(d, "refresh_family")); f != family_upn.end()) upn = f->second;
      if (!upn.empty()) assign(i, client, account_kind::user, upn);
      else if (str(d, "grant") == "client_credentials") assign(i, client, account_kind::app, {});
      else assign(i, client, account_kind::unknown, {});
    } else if (is_mail_auth(events[i])) {
      auto o = token_owner.find(str(d, "token"));
      std::string client = str(d, "client_id");
      if (client.empty() && o != token_owner.end()) client = o->second.client;
      if (client.empty()) continue;
      std::string upn = str(d, "principal");
      if (flag(d, "app_only")) assign(i, client, account_kind::app, {});
      else if (!upn.empty()) assign(i, client, account_kind::user, upn);
      else if (o != token_owner.end())
        assign(i, client, o->second.upn.empty() ? account_kind::app : account_kind::user, o->second.upn);
      else assign(i, client, account_kind::unknown, {});
    }
  }
  for (auto& k : out) {
    if (!k || k->kind != account_kind::unknown) continue;
    if (auto u = users_of.find(k->client_id); u != users_of.end() && u->second.size() == 1) {
      k->kind = account_kind::user;
      k->account = *u->second.begin();
    }
  }
  return out;
}

enum verdict_index : std::size_t {
  no_expired, rejection_window, before_expiry, single_flight, needless, rotated, scope, backoff,
  reconnects
};

std::string secs(std::int64_t s) { return std::to_string(s) + " s"; }

class evaluator {
 public:
  evaluator(const std::vector<event>& events, const verdict_options& o) : ev_(events), o_(o) {}

  refresh_verdicts run() {
    std::map<subject_key, std::string> display;
    auto who = attribute(ev_, display);
    for (std::size_t i = 0; i < ev_.size(); ++i) {
      const event& e = ev_[i];
      if (who[i]) subjects_.try_emplace(*who[i]);  // every observed subject is listed
      if (e.kind == "token.fault") {
        faults_.push_back({num(e.data, "retry_after").value_or(0), num(e.data, "delay_ms").value_or(0)});
      } else if (is_token_request(e)) {
        token_request(i, who[i]);
      } else if (who[i] && is_mail_auth(e)) {
        mail_use(i, *who[i]);
      } else if (e.kind == "imap.session_expired") {
        session_expired(i);
      }
    }
    for (const auto& p : pending_)
      if (!p.resolved)
        violate(p.who, reconnects, p.event, [&] {
          return "no reconnect to " + p.mailbox + " with a new, unexpired token after BYE "
                 "AccessTokenExpired";
        });

    refresh_verdicts out;
    out.options = o_;
    out.events = ev_.size();
    for (auto& [k, s] : subjects_) {
      client_verdicts c;
      c.client_id = k.client_id;
      c.kind = k.kind;
      if (k.kind == account_kind::user) c.account = display[k];
      for (std::size_t n = 0; n < verdict_count; ++n) {
        s.v[n].name = verdict_names[n];
        c.verdicts.push_back(std::move(s.v[n]));
      }
      out.clients.push_back(std::move(c));
    }
    return out;
  }

 private:
  struct subject_state {
    verdict v[verdict_count];
  };
  struct issued {
    std::size_t event = 0;
    std::int64_t at_ms = 0;
    std::int64_t lifetime_s = 0;
  };
  struct fault_info {
    std::int64_t retry_after_s = 0;
    std::int64_t delay_ms = 0;
  };
  struct throttle_window {
    std::int64_t until_ms = 0;
    subject_key who;
    std::int64_t status = 0;
    std::int64_t retry_after_s = 0;
  };
  struct session {
    subject_key who;
    std::string token;
    std::string mailbox;
  };
  struct expiry {
    std::size_t event = 0;
    subject_key who;
    std::string mailbox;
    std::string token;
    bool resolved = false;
  };

  verdict& v(const subject_key& k, verdict_index n) { return subjects_[k].v[n]; }

  template <class Text>
  void violate(const subject_key& k, verdict_index n, std::size_t i, Text&& text) {
    verdict& x = v(k, n);
    ++x.violations;
    if (x.examples.size() < max_examples) x.examples.push_back({i, ev_[i].at_ms, text()});
  }

  void token_request(std::size_t i, const std::optional<subject_key>& who) {
    const event& e = ev_[i];
    const auto& d = e.data;
    std::optional<fault_info> fault;
    if (flag(d, "fault") && !faults_.empty()) {
      fault = faults_.front();
      faults_.pop_front();
    }
    std::string fam = str(d, "refresh_family");
    std::string grant = str(d, "grant");
    if (who) {
      backoff_check(i, *who);
      if (grant == "refresh_token") refresh_checks(i, *who, fam);
      if (e.kind == "token.issued") acquisition(i, *who);
      throttle(i, *who, fault);
    }
    if (std::string rt = str(d, "new_refresh_token"); !rt.empty() && !fam.empty())
      family_latest_[fam] = rt;
  }

  void backoff_check(std::size_t i, const subject_key& who) {
    auto w = windows_.find(who.client_id);
    if (w == windows_.end() || ev_[i].at_ms >= w->second.until_ms) return;
    const throttle_window& t = w->second;
    violate(t.who, backoff, i, [&] {
      return "token request " + std::to_string(t.until_ms - ev_[i].at_ms) + " ms before the " +
             std::to_string(t.retry_after_s) + " s of Retry-After of a " + std::to_string(t.status) +
             " had passed";
    });
  }

  void throttle(std::size_t i, const subject_key& who, const std::optional<fault_info>& fault) {
    const event& e = ev_[i];
    std::int64_t status = num(e.data, "status").value_or(0);
    if (e.kind != "token.error" || (status != 429 && status != 503)) return;
    std::int64_t n = num(e.data, "retry_after").value_or(fault ? fault->retry_after_s : 0);
    std::int64_t delay = num(e.data, "delay_ms").value_or(fault ? fault->delay_ms : 0);
    if (n <= 0) return;
    ++v(who, backoff).checked;
    throttle_window w{e.at_ms + delay + n * 1000, who, status, n};
    auto [it, fresh] = windows_.emplace(who.client_id, w);
    if (!fresh && it->second.until_ms < w.until_ms) it->second = std::move(w);
  }

  void refresh_checks(std::size_t i, const subject_key& who, const std::string& fam) {
    const auto& d = ev_[i].data;
    ++v(who, scope).checked;
    bool sent = d.contains("scope_sent") ? flag(d, "scope_sent") : d.contains("scope");
    if (!sent) violate(who, scope, i, [] { return std::string("refresh_token grant without scope"); });

    std::string rt = str(d, "refresh_token");
    if (fam.empty() || rt.empty()) return;
    ++v(who, rotated).checked;
    auto latest = family_latest_.find(fam);
    bool superseded = latest != family_latest_.end() && latest->second != rt;
    if (flag(d, "refresh_token_reused") || superseded)
      violate(who, rotated, i, [&] {
        return "redeemed the superseded refresh token " + rt +
               (latest != family_latest_.end() ? " (latest in its family: " + latest->second + ")"
                                                : std::string());
      });
  }

  void acquisition(std::size_t i, const subject_key& who) {
    const event& e = ev_[i];
    std::int64_t lifetime = num(e.data, "lifetime_s").value_or(0);
    if (str(e.data, "token").empty() || lifetime <= 0) return;
    auto key = std::make_pair(who, str(e.data, "aud"));
    auto prev = last_.find(key);
    if (prev != last_.end()) {
      const issued& p = prev->second;
      ++v(who, single_flight).checked;
      ++v(who, needless).checked;
      std::int64_t left_ms = p.at_ms + p.lifetime_s * 1000 - e.at_ms;
      std::int64_t gap = e.at_ms - p.at_ms;
      // exp and iat are whole seconds: a client may see up to 1 s less than the fake does.
      bool fresh = 2 * (left_ms - 1000) > p.lifetime_s * 1000;
      // The server ended a session of this credential for an expired token since: a new
      // token is what it should get.
      auto ended = session_ended_.find(who);
      bool told_expired = ended != session_ended_.end() && ended->second >= p.at_ms;
      if (fresh && !told_expired) {
        auto text = [&] {
          return "new token " + std::to_string(gap) + " ms after the previous one (event " +
                 std::to_string(p.event) + "), which still had " + secs(left_ms / 1000) + " of " +
                 secs(p.lifetime_s) + " left";
        };
        if (gap < o_.burst_window_ms) violate(who, single_flight, i, text);
        else violate(who, needless, i, text);
      }
    }
    last_[key] = {i, e.at_ms, lifetime};
  }

  void mail_use(std::size_t i, const subject_key& who) {
    const event& e = ev_[i];
    const auto& d = e.data;
    auto remaining = num(d, "token_remaining_s");
    std::string mailbox = str(d, "mailbox");
    if (remaining) {
      std::int64_t r = *remaining;
      for (verdict_index n : {no_expired, rejection_window, before_expiry}) ++v(who, n).checked;
      auto& min = v(who, before_expiry).min_remaining_s;
      if (!min || r < *min) min = r;
      auto text = [&] {
        return e.kind + " to " + mailbox + (r <= 0 ? " with an expired token (" : " with a token (") +
               secs(r) + " left)";
      };
      if (r <= 0) violate(who, no_expired, i, text);
      if (r <= 0 || r < o_.rejection_window_s)
        violate(who, rejection_window, i, [&] {
          return text() + " (rejection window " + secs(o_.rejection_window_s) + ")";
        });
      if (r <= 0 || r < o_.margin_s)
        violate(who, before_expiry, i, [&] { return text() + " (margin " + secs(o_.margin_s) + ")"; });
    }
    if (e.kind != "imap.auth" || str(d, "verdict") != "ok") return;
    std::string token = str(d, "token");
    sessions_[str(d, "peer")] = {who, token, mailbox};
    if (!remaining || *remaining <= 0) return;
    for (auto& p : pending_)
      if (!p.resolved && p.who == who && iequals(p.mailbox, mailbox) && p.token != token)
        p.resolved = true;
  }

  void session_expired(std::size_t i) {
    auto s = sessions_.find(str(ev_[i].data, "peer"));
    if (s == sessions_.end()) return;
    ++v(s->second.who, reconnects).checked;
    session_ended_[s->second.who] = ev_[i].at_ms;
    pending_.push_back({i, s->second.who, s->second.mailbox, s->second.token, false});
  }

  const std::vector<event>& ev_;
  verdict_options o_;
  std::map<subject_key, subject_state> subjects_;
  std::map<std::pair<subject_key, std::string>, issued> last_;  // credential -> latest token
  std::map<std::string, std::string> family_latest_;            // family -> latest refresh token
  std::deque<fault_info> faults_;                               // token.fault not yet answered
  std::map<std::string, throttle_window> windows_;              // client id -> Retry-After window
  std::map<std::string, session> sessions_;                     // peer -> IMAP login
  std::map<subject_key, std::int64_t> session_ended_;           // last AccessTokenExpired BYE
  std::vector<expiry> pending_;
};

}  // namespace

refresh_verdicts evaluate(const std::vector<event>& events, const verdict_options& o) {
  return evaluator(events, o).run();
}

}  // namespace mh::fake
