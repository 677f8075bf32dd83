// Small POSIX file helpers shared by the harness and the fakes: atomic replacement of a file
// (temporary file created 0600 + fsync + rename) and a bounded whole-file read.
// Errors: write_file(s)_atomically throw file_write_error naming the file and the reason.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mh {

// Writes `content` to `path` atomically: readers see the old file or the new one, never a
// torn one. The file is created with mode 0600 (never chmod-ed afterwards, so no window in
// which it is readable by others). The temporary is unique per process and thread.
void write_file_atomically(const std::string& path, const std::string& content);

// Writes a set of files that belong together (a report set) so that either every file is
// replaced or none is: all are staged and synced first, then renamed. A full disk or a write
// error while staging leaves the previous files untouched and no temporary behind.
void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files);

// "cannot write <final path>: <strerror>" (the temporary's name is not shown).
struct file_write_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The whole file, or nullopt with *why (naming the file) if it cannot be read or exceeds
// `max_bytes`. A missing file sets *missing (when given) and returns nullopt.
std::optional<std::string> read_file_bounded(const std::string& path, std::size_t max_bytes,
                                             std::string* why, bool* missing = nullptr);

}  // namespace mh
