// The fake's IMAP session (private to fakes/mail): connection state, authentication and
// the mailbox commands. Split over imap_session.cpp (state, auth, simple commands) and
// imap_mailbox.cpp (SELECT, FETCH, SEARCH, STORE, EXPUNGE).
#pragma once

#include <string>
#include <vector>

#include "mail/mail_store.hpp"
#include "mail/session_io.hpp"

namespace mh::fake {

class imap_session {
 public:
  explicit imap_session(session_io& io) : io_(io) {}
  net::awaitable<void> run();

 private:
  enum class state { not_authenticated, authenticated, not_connected, selected };

  net::awaitable<bool> read_command(std::string& line);
  net::awaitable<bool> dispatch(const std::string& tag, const std::string& verb,
                                const std::string& rest);
  net::awaitable<bool> reply(const std::string& tag, std::string_view text);
  net::awaitable<bool> authenticate(const std::string& tag, const std::string& rest);
  net::awaitable<bool> not_connected(const std::string& tag);
  net::awaitable<bool> idle(const std::string& tag);
  bool token_expired() const;

  // imap_mailbox.cpp
  net::awaitable<bool> list(const std::string& tag, const std::string& verb, const std::string& rest);
  net::awaitable<bool> status(const std::string& tag, const std::string& rest);
  net::awaitable<bool> select(const std::string& tag, const std::string& rest, bool read_only);
  net::awaitable<bool> fetch(const std::string& tag, const std::string& rest, bool uid);
  net::awaitable<bool> search(const std::string& tag, const std::string& rest, bool uid);
  net::awaitable<bool> store(const std::string& tag, const std::string& rest, bool uid);
  net::awaitable<bool> expunge(const std::string& tag, bool report);
  std::vector<std::size_t> resolve(const std::string& set, bool uid, bool& ok) const;

  session_io& io_;
  state st_ = state::not_authenticated;
  std::string mailbox_;     // the mailbox opened by AUTHENTICATE
  std::int64_t expires_ = 0;  // when the session's token (or an expiry fault) ends it
  int not_connected_replies_ = 0;
  std::vector<stored_message> msgs_;  // the selected INBOX
  bool read_only_ = false;
};

}  // namespace mh::fake
