// The fake's IMAP mailbox commands over the one INBOX each mailbox has.
#include <algorithm>

#include "mail/exchange_text.hpp"
#include "mail/imap_session.hpp"
#include "mail/imap_syntax.hpp"
#include "core/text.hpp"

namespace mh::fake {
namespace {

namespace is = imap_syntax;

bool is_inbox(const std::string& name) { return ascii_upper(name) == "INBOX"; }

std::string flag_list(const std::set<std::string>& f) {
  std::string o = "(";
  for (const auto& x : f) o += (o.size() > 1 ? " " : "") + x;
  return o + ")";
}

// Expands the FETCH macros and splits "(A B[...] C)" into items.
std::vector<std::string> fetch_items(std::string spec) {
  if (spec.starts_with("(") && spec.ends_with(")")) spec = spec.substr(1, spec.size() - 2);
  std::string u = ascii_upper(spec);
  if (u == "ALL") return {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"};
  if (u == "FAST") return {"FLAGS", "INTERNALDATE", "RFC822.SIZE"};
  if (u == "FULL") return {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"};
  auto parts = is::split_args(spec);
  return parts ? *parts : std::vector<std::string>{};
}

// The numbers of a partial fetch <start.count>: up to 9 digits, nothing else.
std::optional<std::size_t> partial_number(const std::string& s) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoul(s);
}

// "BODY[HEADER.FIELDS (FROM TO)]<0.100>" -> the returned data, or nullopt if unsupported.
std::optional<std::string> section(const stored_message& m, const std::string& item,
                                   std::string& name_out) {
  auto open = item.find('[');
  auto close = item.rfind(']');
  std::string sec = ascii_upper(item.substr(open + 1, close - open - 1));
  std::string data;
  if (sec.empty()) data = m.data;
  else if (sec == "HEADER") data = is::header_of(m.data);
  else if (sec == "TEXT" || sec == "1") data = is::text_of(m.data);
  else if (sec.starts_with("HEADER.FIELDS")) {
    bool negate = sec.starts_with("HEADER.FIELDS.NOT");
    auto lp = sec.find('('), rp = sec.rfind(')');
    if (lp == std::string::npos || rp == std::string::npos) return std::nullopt;
    auto names = is::split_args(sec.substr(lp + 1, rp - lp - 1));
    if (!names) return std::nullopt;
    data = is::header_fields(m.data, *names, negate);
  } else {
    return std::nullopt;
  }
  std::string base = item.substr(0, close + 1);
  std::string u = ascii_upper(base);
  if (u.starts_with("BODY.PEEK")) base = "BODY" + base.substr(9);
  std::string partial = item.substr(close + 1);  // <start.count>
  if (partial.starts_with("<") && partial.ends_with(">")) {
    auto dot = partial.find('.');
    auto start_n = partial_number(partial.substr(1, dot == std::string::npos ? partial.size() - 2 : dot - 1));
    auto count_n = dot == std::string::npos ? std::optional<std::size_t>(std::string::npos)
                                            : partial_number(partial.substr(dot + 1, partial.size() - dot - 2));
    if (!start_n || !count_n) return std::nullopt;  // not <number.number>: BAD, not an exception
    std::size_t start = *start_n, count = *count_n;
    data = start < data.size() ? data.substr(start, count) : std::string();
    base += "<" + std::to_string(start) + ">";
  }
  name_out = base;
  return data;
}

}  // namespace

std::vector<std::size_t> imap_session::resolve(const std::string& set, bool uid, bool& ok) const {
  std::vector<std::size_t> idx;
  std::uint32_t max = uid ? (msgs_.empty() ? 0 : msgs_.back().uid)
                          : static_cast<std::uint32_t>(msgs_.size());
  auto nums = is::sequence_set(set, std::max<std::uint32_t>(max, 1));
  ok = nums.has_value();
  if (!ok) return idx;
  for (auto n : *nums) {
    if (uid) {
      for (std::size_t i = 0; i < msgs_.size(); ++i)
        if (msgs_[i].uid == n) idx.push_back(i);
    } else if (n >= 1 && n <= msgs_.size()) {
      idx.push_back(n - 1);
    }
  }
  return idx;
}

net::awaitable<bool> imap_session::list(const std::string& tag, const std::string& verb,
                                        const std::string& rest) {
  auto args = is::split_args(rest);
  if (!args || args->size() != 2) co_return co_await reply(tag, text::imap_arg_error);
  const std::string& pattern = (*args)[1];
  if (pattern.empty()) {
    if (auto cw = co_await io_.send("* " + verb + " (\\Noselect) \"/\" \"\""); !cw) co_return false;
  } else if (pattern == "*" || pattern == "%" || is_inbox(pattern)) {
    if (auto cw = co_await io_.send("* " + verb + " (\\HasNoChildren) \"/\" INBOX"); !cw) co_return false;
  }
  co_return co_await reply(tag, "OK " + verb + " completed.");
}

net::awaitable<bool> imap_session::status(const std::string& tag, const std::string& rest) {
  auto args = is::split_args(rest);
  if (!args || args->size() != 2) co_return co_await reply(tag, text::imap_arg_error);
  if (!is_inbox((*args)[0])) co_return co_await reply(tag, "NO The requested item could not be found.");
  auto msgs = io_.ctx().store.snapshot(mailbox_);
  auto items = is::split_args((*args)[1].substr(1, (*args)[1].size() - 2));
  std::string out;
  for (const auto& it : items ? *items : std::vector<std::string>{}) {
    std::string u = ascii_upper(it), v;
    if (u == "MESSAGES") v = std::to_string(msgs.size());
    else if (u == "RECENT") v = "0";
    else if (u == "UIDNEXT") v = std::to_string(io_.ctx().store.uid_next(mailbox_));
    else if (u == "UIDVALIDITY") v = std::to_string(io_.ctx().store.uid_validity());
    else if (u == "UNSEEN")
      v = std::to_string(std::count_if(msgs.begin(), msgs.end(),
                                       [](const auto& m) { return !m.flags.count("\\Seen"); }));
    else co_return co_await reply(tag, text::imap_arg_error);
    out += (out.empty() ? "" : " ") + u + " " + v;
  }
  if (auto cw = co_await io_.send("* STATUS INBOX (" + out + ")"); !cw) co_return false;
  co_return co_await reply(tag, "OK STATUS completed.");
}

net::awaitable<bool> imap_session::select(const std::string& tag, const std::string& rest,
                                          bool read_only) {
  auto args = is::split_args(rest);
  if (!args || args->empty()) co_return co_await reply(tag, text::imap_arg_error);
  if (!is_inbox((*args)[0])) {
    st_ = state::authenticated;
    co_return co_await reply(tag, "NO The requested item could not be found.");
  }
  auto& store = io_.ctx().store;
  msgs_ = store.snapshot(mailbox_);
  read_only_ = read_only;
  st_ = state::selected;
  std::size_t unseen = 0;
  for (std::size_t i = 0; i < msgs_.size(); ++i)
    if (!msgs_[i].flags.count("\\Seen")) {
      unseen = i + 1;
      break;
    }
  std::vector<std::string> lines = {
      "* " + std::to_string(msgs_.size()) + " EXISTS", "* 0 RECENT",
      "* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)",
      read_only ? "* OK [PERMANENTFLAGS ()] No permanent flags permitted"
                : "* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)] "
                  "Permanent flags",
      "* OK [UIDVALIDITY " + std::to_string(store.uid_validity()) + "] UIDVALIDITY value",
      "* OK [UIDNEXT " + std::to_string(store.uid_next(mailbox_)) +
          "] The next unique identifier value"};
  if (unseen) lines.insert(lines.begin() + 4, "* OK [UNSEEN " + std::to_string(unseen) + "] Is the first unseen message");
  for (const auto& l : lines)
    if (auto cw = co_await io_.send(l); !cw) co_return false;
  co_return co_await reply(tag, read_only ? "OK [READ-ONLY] EXAMINE completed."
                                          : "OK [READ-WRITE] SELECT completed.");
}

net::awaitable<bool> imap_session::fetch(const std::string& tag, const std::string& rest, bool uid) {
  auto sp = rest.find(' ');
  if (sp == std::string::npos) co_return co_await reply(tag, text::imap_arg_error);
  bool ok = false;
  auto idx = resolve(rest.substr(0, sp), uid, ok);
  auto items = fetch_items(rest.substr(sp + 1));
  if (!ok || items.empty()) co_return co_await reply(tag, text::imap_arg_error);
  for (auto i : idx) {
    auto& m = msgs_[i];
    std::string out;
    bool has_uid = false, set_seen = false;
    for (const auto& item : items) {
      std::string u = ascii_upper(item);
      std::string part;
      if (u == "UID") { part = "UID " + std::to_string(m.uid); has_uid = true; }
      else if (u == "FLAGS") part = "FLAGS " + flag_list(m.flags);
      else if (u == "RFC822.SIZE") part = "RFC822.SIZE " + std::to_string(m.data.size());
      else if (u == "INTERNALDATE") part = "INTERNALDATE \"" + is::internal_date(m.internal_date) + "\"";
      else if (u == "ENVELOPE") part = "ENVELOPE " + is::envelope(m.data);
      else if (u == "BODYSTRUCTURE" || u == "BODY") part = u + " " + is::bodystructure(m.data);
      else if (u == "RFC822" || u == "RFC822.HEADER" || u == "RFC822.TEXT") {
        const std::string data = u == "RFC822" ? m.data
                                 : u == "RFC822.HEADER" ? is::header_of(m.data)
                                                        : is::text_of(m.data);
        part = u + " {" + std::to_string(data.size()) + "}\r\n" + data;
        set_seen = set_seen || u != "RFC822.HEADER";
      } else if (u.starts_with("BODY[") || u.starts_with("BODY.PEEK[")) {
        std::string name;
        auto data = section(m, item, name);
        if (!data) co_return co_await reply(tag, text::imap_arg_error);
        part = name + " {" + std::to_string(data->size()) + "}\r\n" + *data;
        set_seen = set_seen || u.starts_with("BODY[");
      } else {
        co_return co_await reply(tag, text::imap_arg_error);
      }
      out += (out.empty() ? "" : " ") + part;
    }
    if (set_seen && !read_only_ && !m.flags.count("\\Seen")) {
      m.flags.insert("\\Seen");
      io_.ctx().store.set_flags(mailbox_, m.uid, m.flags);
      out += " FLAGS " + flag_list(m.flags);
    }
    if (uid && !has_uid) out = "UID " + std::to_string(m.uid) + " " + out;
    if (auto cw = co_await io_.send("* " + std::to_string(i + 1) + " FETCH (" + out + ")"); !cw) co_return false;
  }
  co_return co_await reply(tag, std::string("OK ") + (uid ? "UID FETCH" : "FETCH") + " completed.");
}

net::awaitable<bool> imap_session::search(const std::string& tag, const std::string& rest, bool uid) {
  auto args = is::split_args(rest);
  if (!args) co_return co_await reply(tag, text::imap_arg_error);
  std::vector<bool> match(msgs_.size(), true);
  for (std::size_t a = 0; a < args->size(); ++a) {
    std::string k = ascii_upper((*args)[a]);
    std::vector<bool> m(msgs_.size(), false);
    auto flag_is = [&](const char* f, bool want) {
      for (std::size_t i = 0; i < msgs_.size(); ++i) m[i] = (msgs_[i].flags.count(f) > 0) == want;
    };
    if (k == "ALL") m.assign(msgs_.size(), true);
    else if (k == "SEEN") flag_is("\\Seen", true);
    else if (k == "UNSEEN") flag_is("\\Seen", false);
    else if (k == "DELETED") flag_is("\\Deleted", true);
    else if (k == "UNDELETED") flag_is("\\Deleted", false);
    else if (k == "FLAGGED") flag_is("\\Flagged", true);
    else if (k == "UNFLAGGED") flag_is("\\Flagged", false);
    else if (k == "CHARSET" && a + 1 < args->size()) { ++a; continue; }
    else if (k == "UID" && a + 1 < args->size()) {
      bool ok = false;
      for (auto i : resolve((*args)[++a], true, ok)) m[i] = true;
      if (!ok) co_return co_await reply(tag, text::imap_arg_error);
    } else if ((k == "SUBJECT" || k == "FROM" || k == "TO") && a + 1 < args->size()) {
      std::string needle = ascii_upper((*args)[++a]);
      for (std::size_t i = 0; i < msgs_.size(); ++i)
        m[i] = ascii_upper(is::header_field(msgs_[i].data,
                                      k == "SUBJECT" ? "Subject" : k == "FROM" ? "From" : "To"))
                   .find(needle) != std::string::npos;
    } else {
      bool ok = false;
      auto idx = resolve((*args)[a], false, ok);
      if (!ok) co_return co_await reply(tag, text::imap_arg_error);
      for (auto i : idx) m[i] = true;
    }
    for (std::size_t i = 0; i < msgs_.size(); ++i) match[i] = match[i] && m[i];
  }
  std::string out = "* SEARCH";
  for (std::size_t i = 0; i < msgs_.size(); ++i)
    if (match[i]) out += " " + std::to_string(uid ? msgs_[i].uid : i + 1);
  if (auto cw = co_await io_.send(out); !cw) co_return false;
  co_return co_await reply(tag, std::string("OK ") + (uid ? "UID SEARCH" : "SEARCH") + " completed.");
}

net::awaitable<bool> imap_session::store(const std::string& tag, const std::string& rest, bool uid) {
  auto args = is::split_args(rest);
  if (!args || args->size() < 3) co_return co_await reply(tag, text::imap_arg_error);
  if (read_only_) co_return co_await reply(tag, "NO The mailbox is read-only.");
  bool ok = false;
  auto idx = resolve((*args)[0], uid, ok);
  std::string op = ascii_upper((*args)[1]);
  bool silent = op.ends_with(".SILENT");
  if (silent) op = op.substr(0, op.size() - 7);
  std::string list = (*args)[2];
  for (std::size_t k = 3; k < args->size(); ++k) list += " " + (*args)[k];
  if (list.starts_with("(")) list = list.substr(1, list.size() - 2);
  auto flags = is::split_args(list);
  if (!ok || !flags || (op != "FLAGS" && op != "+FLAGS" && op != "-FLAGS"))
    co_return co_await reply(tag, text::imap_arg_error);
  for (auto i : idx) {
    auto& m = msgs_[i];
    if (op == "FLAGS") m.flags.clear();
    for (const auto& f : *flags) {
      if (op == "-FLAGS") m.flags.erase(f);
      else m.flags.insert(f);
    }
    io_.ctx().store.set_flags(mailbox_, m.uid, m.flags);
    if (!silent) {
      std::string u = uid ? "UID " + std::to_string(m.uid) + " " : "";
      if (auto cw = co_await io_.send("* " + std::to_string(i + 1) + " FETCH (" + u + "FLAGS " +
                             flag_list(m.flags) + ")"); !cw)
        co_return false;
    }
  }
  co_return co_await reply(tag, std::string("OK ") + (uid ? "UID STORE" : "STORE") + " completed.");
}

net::awaitable<bool> imap_session::expunge(const std::string& tag, bool report) {
  std::vector<std::uint32_t> gone;
  for (std::size_t i = msgs_.size(); i-- > 0;) {
    if (!msgs_[i].flags.count("\\Deleted")) continue;
    gone.push_back(msgs_[i].uid);
    msgs_.erase(msgs_.begin() + static_cast<std::ptrdiff_t>(i));
    if (report) {
      if (auto cw = co_await io_.send("* " + std::to_string(i + 1) + " EXPUNGE"); !cw) co_return false;
    }
  }
  io_.ctx().store.remove(mailbox_, gone);
  if (!report) co_return true;
  co_return co_await reply(tag, "OK EXPUNGE completed.");
}

}  // namespace mh::fake
