#include "server_cpu.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

namespace mh::cli {
namespace {

struct proc_stat {
  int ppid = 0;
  std::int64_t ticks = 0;  // utime + stime + cutime + cstime
};

// /proc/<pid>/stat: "pid (comm) state ppid ... utime(14) stime(15) cutime(16) cstime(17)".
// comm may contain spaces and parentheses: fields are counted after the last ')'.
bool read_stat(int pid, proc_stat& out) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return false;
  auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(line.substr(close + 1));
  std::string state;
  long long v[15] = {};
  in >> state;
  for (auto& x : v) in >> x;  // fields 4 … 18
  if (!in) return false;
  out.ppid = static_cast<int>(v[0]);
  out.ticks = v[10] + v[11] + v[12] + v[13];  // fields 14 … 17
  return true;
}

}  // namespace

std::int64_t process_tree_cpu_ns(const std::vector<int>& pids) {
  std::map<int, proc_stat> all;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    proc_stat s;
    if (read_stat(std::stoi(name), s)) all[std::stoi(name)] = s;
  }
  std::set<int> tree(pids.begin(), pids.end());
  for (bool grew = true; grew;) {  // descendants: parents first is not guaranteed, so iterate
    grew = false;
    for (const auto& [pid, s] : all)
      if (!tree.count(pid) && tree.count(s.ppid)) grew = tree.insert(pid).second || grew;
  }
  std::int64_t ticks = 0;
  for (int pid : tree)
    if (auto it = all.find(pid); it != all.end()) ticks += it->second.ticks;
  static const long hz = ::sysconf(_SC_CLK_TCK);
  return ticks * (1'000'000'000 / hz);
}

}  // namespace mh::cli
