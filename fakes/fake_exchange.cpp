#include "fake_exchange.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "net/pki.hpp"
#include "net/tls.hpp"

namespace mh::fake {
namespace fs = std::filesystem;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string server_cert_stem(pki::key_type key) {
  return key == pki::key_type::rsa2048 ? "server-rsa" : "server";
}

std::string ensure_state_pki(const std::string& dir, const std::vector<std::string>& hostnames,
                             pki::key_type key) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create state dir " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  if (!fs::exists(dir + "/ca.pem") || !fs::exists(dir + "/ca-key.pem"))
    pki::make_ca(dir, "ca", {"mailharness fake Exchange CA"});
  pki::subject_names names{{"localhost"}, {"127.0.0.1"}};
  for (const auto& h : hostnames) {
    boost::system::error_code bec;
    net::ip::make_address(h, bec);
    (bec ? names.dns : names.ips).push_back(h);
  }
  std::string wanted;
  for (const auto& d : names.dns) wanted += "DNS:" + d + "\n";
  for (const auto& i : names.ips) wanted += "IP:" + i + "\n";
  std::string stem = server_cert_stem(key);
  if (!fs::exists(dir + "/" + stem + ".pem") || !fs::exists(dir + "/" + stem + "-key.pem") ||
      read_text(dir + "/" + stem + "-names.txt") != wanted) {
    pki::cert_options co{"localhost"};
    co.key = key;
    pki::make_server_cert(dir, stem, dir, "ca", names, co);
    write_file_atomically(dir + "/" + stem + "-names.txt", wanted);
  }
  return dir + "/ca.pem";
}

fake_exchange::fake_exchange(net::io_context& io, fake_options o)
    : o_(std::move(o)),
      tenant_(o_.tenant_file ? load_tenant_file(*o_.tenant_file) : demo_tenant()) {
  if (o_.state_dir.empty()) throw std::runtime_error("the fake needs a state dir");
  if (o_.token_lifetime_s) {
    tenant_.tokens.lifetime_min_s = *o_.token_lifetime_s;
    tenant_.tokens.lifetime_max_s = *o_.token_lifetime_s;
  }
  store_ = std::make_unique<mail_store>(tenant_);
  ca_file_ = ensure_state_pki(o_.state_dir, o_.hostnames, o_.server_key);
  if (o_.persist_mail && fs::exists(mail_file())) {
    try {
      store_->load_json(nlohmann::json::parse(read_text(mail_file())));
    } catch (const std::exception& e) {
      throw std::runtime_error(mail_file() + " is not a mail store written by the fake: " + e.what());
    }
  }
  std::string stem = o_.state_dir + "/" + server_cert_stem(o_.server_key);
  tls_ = make_server_context(stem + ".pem", stem + "-key.pem");
  keys_ = std::make_unique<key_store>(key_store::load_or_create(o_.state_dir));
  for (const auto& f : tenant_.faults) faults_.add(fault_from_json(f));
  for (auto& f : o_.faults) faults_.add(f);

  identity_config ic;
  ic.listen_address = o_.listen;
  ic.port = o_.identity_port;
  identity_ = std::make_unique<identity_server>(io, tenant_, events_, *keys_, tls_, ic);

  mail_config mc = o_.mail;
  mc.listen = o_.listen;
  mail_ctx_ = std::make_unique<mail_context>(mail_context{
      tenant_, *store_, events_, faults_, keys_->public_key(), mc, tls_, [] { return unix_now(); }, {}});
  mail_ = std::make_unique<mail_servers>(io, *mail_ctx_);
  identity_->set_control_extension(
      [this](std::string_view method, std::string_view path, const nlohmann::json& body)
          -> std::optional<std::pair<int, nlohmann::json>> { return control(method, path, body); });
}

// /_fake/faults/mail: GET lists the rules, POST adds one rule or an array of rules, DELETE
// clears them. /_fake/verdicts: GET only (see verdicts_route).
std::optional<std::pair<int, nlohmann::json>> fake_exchange::control(std::string_view method,
                                                                     std::string_view path,
                                                                     const nlohmann::json& body) {
  if (path == "verdicts") return verdicts_route(method, body);
  if (path == "stats") {  // how clients use connections (e.g. does the token client keep-alive?)
    if (method != "GET") return std::pair{405, nlohmann::json{{"error", "GET only"}}};
    return std::pair{200, nlohmann::json{{"identity_connections", identity_->connections_accepted()},
                                         {"mail_sessions_active", mail_->active_sessions()},
                                         {"mail_sessions_evicted", mail_->evicted_sessions()},
                                         {"mail_sessions_refused", mail_->refused_sessions()}}};
  }
  if (path != "faults/mail") return std::nullopt;
  if (method == "DELETE") faults_.clear();
  else if (method == "POST") {
    try {
      std::vector<fault_rule> rules;
      if (body.is_array())
        for (const auto& r : body) rules.push_back(fault_from_json(r));
      else
        rules.push_back(fault_from_json(body));
      for (auto& r : rules) faults_.add(std::move(r));
    } catch (const std::exception& e) {
      return std::pair<int, nlohmann::json>{
          400, {{"error", "invalid_request"}, {"error_description", e.what()}}};
    }
  } else if (method != "GET") {
    return std::pair<int, nlohmann::json>{
        405, {{"error", "invalid_request"}, {"error_description", "use GET, POST or DELETE"}}};
  }
  events_.add("control.faults", {{"method", std::string(method)}, {"rules", faults_.to_json()}});
  return std::pair<int, nlohmann::json>{200, {{"faults", faults_.to_json()}}};
}

// GET /_fake/verdicts[?client_id=ID][&rejection_window_s=S][&refresh_margin_s=S]
// [&burst_window_ms=MS]: the verdicts document; the query overrides the fake's options for
// this answer only. (identity_server hands a GET's query parameters over as `query`.)
std::pair<int, nlohmann::json> fake_exchange::verdicts_route(std::string_view method,
                                                             const nlohmann::json& query) const {
  if (method != "GET")
    return {405, {{"error", "invalid_request"}, {"error_description", "use GET"}}};
  std::string why;
  auto opts = verdict_options_from_json(query, o_.verdicts, &why);
  if (!opts) return {400, {{"error", "invalid_request"}, {"error_description", why}}};
  std::string client;
  if (auto it = query.find("client_id"); it != query.end() && it->is_string()) client = it->get<std::string>();
  auto doc = to_json(evaluate(events_.snapshot(), *opts), client);
  return {200, nlohmann::json::parse(doc.dump())};
}

nlohmann::ordered_json fake_exchange::verdicts(std::string_view client_id) const {
  return to_json(evaluate(events_.snapshot(), o_.verdicts), client_id);
}

fake_exchange::~fake_exchange() { stop(); }

void fake_exchange::stop() {
  if (mail_) mail_->stop();
  if (identity_) identity_->stop();
  if (o_.persist_mail && store_) write_file_atomically(mail_file(), store_->to_json().dump() + "\n");
}

std::string fake_exchange::mail_file() const { return o_.state_dir + "/mail.json"; }

nlohmann::json fake_exchange::ready_info() const {
  auto endpoint = [](std::uint16_t port, const char* tls) {
    return nlohmann::json{{"host", "localhost"}, {"port", port}, {"tls", tls}};
  };
  nlohmann::json demo = nlohmann::json::object();
  if (const app* good = tenant_.find_app_by_key("good"); good && !good->secrets.empty())
    demo["app"] = {{"client_id", good->client_id},
                   {"client_secret", std::string(good->secrets.front().value.reveal())},
                   {"scope", "https://outlook.office365.com/.default"}};
  if (const app* pub = tenant_.find_app_by_key("good-public"))
    demo["public_client"] = {{"client_id", pub->client_id},
                             {"scope", "https://outlook.office.com/IMAP.AccessAsUser.All "
                                       "https://outlook.office.com/POP.AccessAsUser.All "
                                       "https://outlook.office.com/SMTP.Send offline_access"}};
  auto& boxes = demo["mailboxes"] = nlohmann::json::array();
  for (const auto& m : tenant_.mailboxes) boxes.push_back(m.address);
  auto& users = demo["users"] = nlohmann::json::array();
  for (const auto& u : tenant_.users)
    users.push_back({{"upn", u.upn}, {"password", std::string(u.password.reveal())}});
  return {{"version", 1},
          {"pid", ::getpid()},
          {"ca_file", fs::absolute(ca_file_).string()},
          {"tenant_id", tenant_.tenant_id},
          {"tenant_domain", tenant_.domain},
          {"authority", identity_->authority()},
          {"token_endpoint", identity_->token_endpoint()},
          {"control", identity_->control_url()},
          {"endpoints",
           {{"imap", endpoint(mail_->imap_port(), "implicit")},
            {"pop3", endpoint(mail_->pop3_port(), "implicit")},
            {"smtp", endpoint(mail_->smtp_port(), "starttls")},
            {"identity", endpoint(identity_->port(), "implicit")}}},
          {"demo", demo}};
}

}  // namespace mh::fake
