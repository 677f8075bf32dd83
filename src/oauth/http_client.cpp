#include "oauth/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "core/error.hpp"
#include "core/text.hpp"

namespace mh::oauth {
namespace {

struct body_sink {
  std::string* out;
  std::size_t cap;
  bool overflow = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* p) {
  auto* s = static_cast<body_sink*>(p);
  std::size_t len = size * n;
  if (s->out->size() + len > s->cap) {
    s->overflow = true;
    return 0;  // aborts the transfer: CURLE_WRITE_ERROR
  }
  s->out->append(data, len);
  return len;
}

std::string trim(std::string v) {
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
  std::size_t i = 0;
  while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
  return v.substr(i);
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* p) {
  auto* r = static_cast<http_response*>(p);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {  // a new response (after 100-continue or a redirect)
    r->content_type.clear();
    r->date.clear();
    r->retry_after.clear();
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name = ascii_lower(line.substr(0, colon));
  std::string value = trim(std::string(line.substr(colon + 1)));
  if (name == "content-type") r->content_type = value;
  else if (name == "date") r->date = value;
  else if (name == "retry-after") r->retry_after = value;
  return size * n;
}

// The phase and error code of a libcurl failure.
std::pair<const char*, errc> classify_curl(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return {"resolve", errc::resolve_failed};
    case CURLE_COULDNT_CONNECT: return {"connect", errc::connect_failed};
    case CURLE_OPERATION_TIMEDOUT: return {"timeout", errc::timed_out};
    case CURLE_SSL_CONNECT_ERROR: return {"tls", errc::tls_handshake_failed};
    case CURLE_PEER_FAILED_VERIFICATION: return {"tls", errc::cert_untrusted};
    case CURLE_SSL_CACERT_BADFILE: return {"tls", errc::config_invalid};
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return {"request", errc::config_invalid};
    case CURLE_FILESIZE_EXCEEDED: return {"response", errc::response_too_large};
    default: return {"transfer", errc::connection_lost};
  }
}

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::string form_encode(const form_fields& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += url_encode(k) + "=" + url_encode(v);
  }
  return out;
}

std::string url_for_display(std::string_view url) {
  auto cut = url.find_first_of("?#");
  return std::string(url.substr(0, cut));
}

bool retryable(const http_outcome& o) {
  if (o.ec) {
    // Certificate and configuration problems do not heal by waiting.
    return o.ec == errc::resolve_failed || o.ec == errc::connect_failed ||
           o.ec == errc::timed_out || o.ec == errc::connection_lost ||
           o.ec == errc::tls_handshake_failed;
  }
  long s = o.response.status;
  return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::int64_t now) {
  std::string v = trim(std::string(value));
  if (v.empty()) return std::nullopt;
  bool digits = v.find_first_not_of("0123456789") == std::string::npos;
  if (digits) {
    if (v.size() > 9) return std::chrono::milliseconds(std::chrono::hours(24 * 365));
    return std::chrono::milliseconds(std::stoll(v) * 1000);
  }
  std::tm tm{};
  const char* end = ::strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  std::int64_t at = ::timegm(&tm);
  return std::chrono::milliseconds(at > now ? (at - now) * 1000 : 0);
}

std::chrono::milliseconds backoff_delay(const http_outcome& o, int attempt, const retry_policy& p,
                                        std::int64_t now, double rnd) {
  if (!o.ec) {
    if (auto ra = parse_retry_after(o.response.retry_after, now))
      return std::min(*ra, p.max_retry_after);
  }
  double d = static_cast<double>(p.base_delay.count());
  for (int i = 1; i < attempt; ++i) d *= 2;
  d = std::min(d, static_cast<double>(p.max_delay.count()));
  d *= 1.0 + p.jitter * (2.0 * rnd - 1.0);
  return std::chrono::milliseconds(static_cast<long long>(d < 0 ? 0 : d));
}

// The handle a keep-alive request uses: one per thread, kept with its open connections
// (curl_easy_reset clears the options, not the connection cache). Without keep-alive: a new one.
std::unique_ptr<CURL, void (*)(CURL*)> easy_handle(bool keep_alive) {
  if (!keep_alive) return {curl_easy_init(), curl_easy_cleanup};
  thread_local std::unique_ptr<CURL, void (*)(CURL*)> kept(curl_easy_init(), curl_easy_cleanup);
  if (kept) curl_easy_reset(kept.get());
  return {kept.get(), [](CURL*) {}};
}

http_outcome curl_perform(const http_request& r, const http_options& o) {
  curl_init_once();
  http_outcome out;
  auto h = easy_handle(o.keep_alive);
  std::string where = r.method + " " + url_for_display(r.url);
  if (!h) {
    out.ec = errc::internal;
    out.error = where + ": libcurl initialisation failed";
    return out;
  }
  CURL* c = h.get();
  body_sink sink{&out.response.body, o.max_body};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // a token endpoint never redirects
  curl_easy_setopt(c, CURLOPT_USERAGENT, o.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o.total_timeout.count()));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(o.max_body));
  if (!o.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, o.insecure ? 0L : 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, o.insecure ? 0L : 2L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &out.response);
  curl_slist* list = curl_slist_append(nullptr, "Expect:");
  list = curl_slist_append(list, "Accept: application/json");
  for (const auto& x : r.headers) list = curl_slist_append(list, x.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  if (r.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  }
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(list);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.response.status);
  if (sink.overflow || rc == CURLE_FILESIZE_EXCEEDED) {
    out.ec = errc::response_too_large;
    out.error = where + ": response: body larger than " + std::to_string(o.max_body) + " bytes";
    out.response.body.clear();
    return out;
  }
  if (rc != CURLE_OK) {
    auto [phase, code] = classify_curl(rc);
    out.ec = code;
    // libcurl's message may quote the URL; only print its text when it does not.
    std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (why.find('?') != std::string::npos) why = curl_easy_strerror(rc);
    out.error = where + ": " + phase + ": " + why;
    out.response.status = 0;
  }
  return out;
}

http_client::http_client(http_options o, transport_fn transport)
    : o_(std::move(o)), transport_(std::move(transport)) {
  sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  clock = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
  auto gen = std::make_shared<std::mt19937_64>(std::random_device{}());
  random = [gen] { return std::uniform_real_distribution<double>(0.0, 1.0)(*gen); };
  if (!transport_) transport_ = [this](const http_request& r) { return curl_perform(r, o_); };
}

http_outcome http_client::perform(const http_request& r) {
  http_outcome o;
  int max = std::max(1, retry.max_attempts);
  for (int attempt = 1;; ++attempt) {
    std::int64_t sent_at = clock();
    o = transport_(r);
    o.attempts = attempt;
    o.sent_at = sent_at;
    if (attempt >= max || !retryable(o)) break;
    sleep(backoff_delay(o, attempt, retry, clock(), random()));
  }
  if (o.ec && o.attempts > 1) o.error += " (after " + std::to_string(o.attempts) + " attempts)";
  return o;
}

http_outcome http_client::post_form(const std::string& url, const form_fields& fields,
                                    std::vector<std::string> headers) {
  headers.push_back("Content-Type: application/x-www-form-urlencoded");
  http_request req{"POST", url, form_encode(fields), std::move(headers)};
  http_outcome o = perform(req);
  // The encoded body and the headers held secrets (client secret, password, codes, HTTP Basic
  // credentials): wipe them before the memory is freed.
  std::fill(req.body.begin(), req.body.end(), '\0');
  for (auto& h : req.headers) std::fill(h.begin(), h.end(), '\0');
  return o;
}

http_outcome http_client::get(const std::string& url) { return perform({"GET", url, {}, {}}); }

}  // namespace mh::oauth
