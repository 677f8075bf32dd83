#include "embedded_fake.hpp"

#include <pthread.h>
#include <time.h>

#include <algorithm>

namespace mh::cli {

using json = nlohmann::json;

embedded_fake::embedded_fake(fake::fake_options o) {
  fx_ = std::make_unique<fake::fake_exchange>(io_, std::move(o));
  ready_ = fx_->ready_info();
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "mh-fake");  // for top -H and perf
    io_.run();
  });
}

embedded_fake::~embedded_fake() {
  net::post(io_, [this] { fx_->stop(); });
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

std::int64_t embedded_fake::cpu_ns() const {
  clockid_t id;
  timespec ts{};
  if (pthread_getcpuclockid(const_cast<std::thread&>(thread_).native_handle(), &id) != 0 ||
      clock_gettime(id, &ts) != 0)
    return 0;
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void patch_tenant(json& tenant, const json& patch) {
  static const std::pair<const char*, const char*> keyed[] = {
      {"apps", "key"}, {"users", "upn"}, {"mailboxes", "address"}};
  json rest = patch;
  for (const auto& entry : keyed) {
    const char* list = entry.first;
    const char* id = entry.second;  // captured below: clang 14 cannot capture a structured binding
    if (!patch.contains(list) || !patch[list].is_object()) continue;
    auto& arr = tenant[list];
    for (auto it = patch[list].begin(); it != patch[list].end(); ++it) {
      auto found = std::find_if(arr.begin(), arr.end(), [&](const json& e) { return e.value(id, "") == it.key(); });
      if (found == arr.end()) {
        json added = it.value();
        added[id] = it.key();
        arr.push_back(added);
      } else if (it.value().is_null()) {
        arr.erase(found);
      } else {
        found->merge_patch(it.value());
      }
    }
    rest.erase(list);
  }
  tenant.merge_patch(rest);
}

}  // namespace mh::cli
