// The verdict document (mailharness.verdicts/1), its options, and the small accessors.
#include <charconv>
#include <stdexcept>

#include "observe/verdicts.hpp"

namespace mh::fake {
namespace {

verdict_result combine(verdict_result acc, verdict_result r) {
  if (acc == verdict_result::fail || r == verdict_result::fail) return verdict_result::fail;
  if (acc == verdict_result::pass || r == verdict_result::pass) return verdict_result::pass;
  return verdict_result::not_applicable;
}

std::string_view kind_name(account_kind k) {
  switch (k) {
    case account_kind::user: return "user";
    case account_kind::app: return "app";
    case account_kind::unknown: return "unknown";
  }
  return "unknown";
}

}  // namespace

std::string_view to_string(verdict_result r) {
  switch (r) {
    case verdict_result::pass: return "pass";
    case verdict_result::fail: return "fail";
    case verdict_result::not_applicable: return "not_applicable";
  }
  return "not_applicable";
}

verdict_result verdict::result() const {
  if (violations > 0) return verdict_result::fail;
  return checked > 0 ? verdict_result::pass : verdict_result::not_applicable;
}

const verdict& client_verdicts::get(std::string_view name) const {
  for (const auto& v : verdicts)
    if (v.name == name) return v;
  throw std::out_of_range("no verdict " + std::string(name));
}

verdict_result client_verdicts::result() const {
  verdict_result acc = verdict_result::not_applicable;
  for (const auto& v : verdicts) acc = combine(acc, v.result());
  return acc;
}

const client_verdicts* refresh_verdicts::find(std::string_view client_id,
                                              std::string_view account) const {
  for (const auto& c : clients)
    if (c.client_id == client_id && c.account == account) return &c;
  return nullptr;
}

nlohmann::ordered_json to_json(const verdict_options& o) {
  return {{"rejection_window_s", o.rejection_window_s},
          {"refresh_margin_s", o.margin_s},
          {"burst_window_ms", o.burst_window_ms}};
}

nlohmann::ordered_json to_json(const refresh_verdicts& v, std::string_view client_id) {
  auto clients = nlohmann::ordered_json::array();
  verdict_result overall = verdict_result::not_applicable;
  for (const auto& c : v.clients) {
    if (!client_id.empty() && c.client_id != client_id) continue;
    nlohmann::ordered_json verdicts = nlohmann::ordered_json::object();
    for (const auto& x : c.verdicts) {
      auto examples = nlohmann::ordered_json::array();
      for (const auto& e : x.examples)
        examples.push_back({{"event", e.event}, {"at_ms", e.at_ms}, {"text", e.text}});
      nlohmann::ordered_json j = {{"result", to_string(x.result())},
                                  {"checked", x.checked},
                                  {"violations", x.violations},
                                  {"examples", std::move(examples)}};
      if (x.min_remaining_s) j["min_remaining_s"] = *x.min_remaining_s;
      verdicts[std::string(x.name)] = std::move(j);
    }
    overall = combine(overall, c.result());
    clients.push_back({{"client_id", c.client_id},
                       {"account", c.kind == account_kind::user ? nlohmann::ordered_json(c.account)
                                                                : nlohmann::ordered_json()},
                       {"account_kind", kind_name(c.kind)},
                       {"result", to_string(c.result())},
                       {"verdicts", std::move(verdicts)}});
  }
  return {{"format", "mailharness.verdicts/1"},
          {"options", to_json(v.options)},
          {"events", v.events},
          {"result", to_string(overall)},
          {"clients", std::move(clients)}};
}

std::optional<verdict_options> verdict_options_from_json(const nlohmann::json& j,
                                                         verdict_options base, std::string* why) {
  auto read = [&](const char* name, int& out, int max) {
    auto it = j.find(name);
    if (it == j.end()) return true;
    long long n = -1;
    if (it->is_number_integer()) {
      n = it->get<long long>();
    } else if (it->is_string()) {
      const std::string& s = it->get_ref<const std::string&>();
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (ec != std::errc() || end != s.data() + s.size()) n = -1;
    }
    if (n < 0 || n > max) {
      if (why) *why = std::string(name) + " must be an integer from 0 to " + std::to_string(max);
      return false;
    }
    out = static_cast<int>(n);
    return true;
  };
  if (!j.is_object()) return base;
  if (!read("rejection_window_s", base.rejection_window_s, 86400) ||
      !read("refresh_margin_s", base.margin_s, 86400) ||
      !read("burst_window_ms", base.burst_window_ms, 3600 * 1000))
    return std::nullopt;
  return base;
}

}  // namespace mh::fake
