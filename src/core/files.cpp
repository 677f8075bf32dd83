#include "core/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mh {

namespace {

// Creates `tmp` (0600), writes and syncs `content`. Returns 0 or the errno.
int stage(const std::string& tmp, const std::string& content) {
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  std::size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return e;
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    return e;
  }
  return ::close(fd) != 0 ? errno : 0;
}

std::string temporary_for(const std::string& path) {
  // Unique per process and per call, so two threads or processes never share a temporary.
  static std::atomic<unsigned> seq{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(seq++);
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
  write_files_atomically({{path, content}});
}

void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<std::string> staged;
  auto discard = [&staged] {
    for (const auto& t : staged) ::unlink(t.c_str());
  };
  for (const auto& [path, content] : files) {
    std::string tmp = temporary_for(path);
    int e = stage(tmp, content);
    staged.push_back(tmp);
    if (e != 0) {
      discard();
      throw file_write_error("cannot write " + path + ": " + std::strerror(e));
    }
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (::rename(staged[i].c_str(), files[i].first.c_str()) != 0) {
      int e = errno;
      for (std::size_t j = i; j < staged.size(); ++j) ::unlink(staged[j].c_str());
      throw file_write_error("cannot replace " + files[i].first + ": " + std::strerror(e));
    }
  }
}

std::optional<std::string> read_file_bounded(const std::string& path, std::size_t max_bytes,
                                             std::string* why, bool* missing) {
  if (missing) *missing = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT && missing) *missing = true;
    if (why) *why = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (why) *why = "cannot read " + path + ": " + std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_bytes) {
      if (why) *why = path + " is larger than " + std::to_string(max_bytes) + " bytes";
      ::close(fd);
      return std::nullopt;
    }
  }
  ::close(fd);
  return out;
}

}  // namespace mh
