// Small I/O helpers shared by gzip_source.cpp and bgzf_source.cpp.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "ofq/error.hpp"

namespace ofq::detail {

/// pread until n bytes or end of file; returns the count read. Throws Error(io_error).
inline size_t pread_full(int fd, const std::string& path, uint64_t offset, void* out, size_t n) {
  auto* dst = static_cast<char*>(out);
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, dst + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      throw Error(Errc::io_error, path + ": cannot read at byte " + std::to_string(offset + got) +
                                      ": " + std::strerror(errno));
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

/// A read-only file descriptor owned for the life of a source.
class ReadFd {
public:
  explicit ReadFd(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw Error(Errc::io_error, path + ": cannot open: " + std::strerror(errno));
  }
  ReadFd(const ReadFd&) = delete;
  ReadFd& operator=(const ReadFd&) = delete;
  ~ReadFd() { ::close(fd_); }
  [[nodiscard]] int get() const noexcept { return fd_; }

private:
  int fd_;
};

/// "after indexing" advice appended to errors found at extraction.
inline std::string reindex_hint(const std::string& path) {
  return "the file changed or was damaged after it was indexed; check it, then run `ofq index " +
         path + "`";
}

}  // namespace ofq::detail
