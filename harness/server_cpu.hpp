// CPU time of a server running as other processes (e.g. Dovecot's master, login and mail
// processes), read from /proc: what `bench --server-pid` reports as server CPU per login.
#pragma once

#include <cstdint>
#include <vector>

namespace mh::cli {

// User + system CPU in nanoseconds of each PID and all its live descendants, plus the CPU of
// children they have already reaped (cutime/cstime), so short-lived worker processes are
// counted once they exit. 0 for PIDs that are gone.
std::int64_t process_tree_cpu_ns(const std::vector<int>& pids);

}  // namespace mh::cli
