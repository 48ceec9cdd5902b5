#include "cli_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "ofq/error.hpp"

namespace ofq::cli {

int guarded(const char* command, const std::function<int()>& body) {
  try {
    return body();
  } catch (const Error& e) {
    std::fprintf(stderr, "ofq %s: %s\n", command, e.what());
    for (const auto& r : e.rows()) {
      if (r.line)
        std::fprintf(stderr, "  line %llu: '%s': %s\n", static_cast<unsigned long long>(r.line), r.id.c_str(),
                     r.reason.c_str());
      else
        std::fprintf(stderr, "  row %llu: '%s': %s\n", static_cast<unsigned long long>(r.row), r.id.c_str(),
                     r.reason.c_str());
    }
    return exit_code(e.code());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "ofq %s: out of memory\n", command);
    return 4;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ofq %s: internal error: %s\n", command, e.what());
    return 4;
  }
}

ProgressFn progress_bar(const std::string& label, bool quiet) {
  if (quiet || !::isatty(2)) return {};
  using clock = std::chrono::steady_clock;
  struct State {
    clock::time_point start = clock::now(), last{};
  };
  auto st = std::make_shared<State>();
  return [st, label](uint64_t done, uint64_t total) {
    const auto now = clock::now();
    if (done < total && now - st->last < std::chrono::milliseconds(200)) return;
    st->last = now;
    const double secs = std::chrono::duration<double>(now - st->start).count();
    const double mbs = secs > 0 ? double(done) / 1e6 / secs : 0;
    const double frac = total ? double(done) / double(total) : 1;
    const int width = 30, filled = int(frac * width);
    const double eta = mbs > 0 ? double(total - done) / 1e6 / mbs : 0;
    std::fprintf(stderr, "\r%s [%.*s%*s] %5.1f%% %8.1f MB %7.1f MB/s ETA %4.0fs", label.c_str(), filled,
                 "##############################", width - filled, "", frac * 100, double(done) / 1e6, mbs,
                 eta);
    if (done >= total) std::fprintf(stderr, "\n");
  };
}

void refuse_overwriting_input(const std::string& output, const std::string& input, const IndexOptions& iopt,
                              const std::string& positions) {
  if (output.empty() || output == "-") return;
  struct stat o {};
  if (::stat(output.c_str(), &o) != 0 || !S_ISREG(o.st_mode)) return;
  // Compared by inode: a symlink or a hard link to an input is that input.
  auto same = [&](const std::string& path) {
    struct stat i {};
    return !path.empty() && ::stat(path.c_str(), &i) == 0 && o.st_dev == i.st_dev && o.st_ino == i.st_ino;
  };
  if (same(input))
    throw Error(Errc::bad_usage, "-o " + output + " is the input file itself; choose another output file");
  if (positions != "-" && same(positions))
    throw Error(Errc::bad_usage, "-o " + output + " is the positions file; choose another output file");
  // The indexes of the input, ofq's and samtools' (.fai, .gzi), wherever they may be read.
  const IndexPaths ip = index_paths(input, iopt);
  std::vector<std::string> ofqi(std::begin(ip.read_candidates), std::end(ip.read_candidates));
  ofqi.push_back(ip.write_path);
  for (const auto& c : ofqi) {
    if (c.size() < 5) continue;
    const std::string stem = c.substr(0, c.size() - 5);  // without ".ofqi"
    for (const std::string& f : {c, c + ".digests", stem + ".fai", stem + ".gzi"})
      if (same(f))
        throw Error(Errc::bad_usage,
                    "-o " + output + " is an index of " + input + " (" + f + "); choose another output file");
  }
}

Output::Output(const std::string& path) : path_(path) {
  if (path.empty() || path == "-") {
    sink_ = std::make_unique<FdSink>(1, "standard output");
    return;
  }
  // A device or a pipe (-o /dev/null, -o /dev/stdout) is written directly: renaming a
  // temporary file over it would replace the device with a regular file.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) throw Error(Errc::io_error, path + ": cannot write: " + std::strerror(errno));
    sink_ = std::make_unique<FdSink>(fd_, path);
    return;
  }
  tmp_ = path + ".tmp." + std::to_string(::getpid());
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(Errc::io_error, path + ": cannot write: " + std::strerror(errno));
  sink_ = std::make_unique<FdSink>(fd_, path);
}

Output::~Output() {
  if (fd_ > 2) ::close(fd_);
  if (!tmp_.empty() && fd_ > 2) ::unlink(tmp_.c_str());
}

void Output::commit() {
  if (tmp_.empty()) {
    if (fd_ > 2 && ::close(fd_) != 0) {
      fd_ = -1;
      throw Error(Errc::io_error, path_ + ": write failed: " + std::strerror(errno));
    }
    fd_ = -1;
    return;
  }
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0 || ::rename(tmp_.c_str(), path_.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp_.c_str());
    throw Error(Errc::io_error, path_ + ": cannot write: " + std::strerror(e));
  }
}

const CLI::Validator& at_least_one() {
  static const CLI::Validator v(
      [](std::string& text) -> std::string {
        uint64_t n = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec != std::errc() || p != text.data() + text.size() || n == 0)
          return "must be a whole number of 1 or more, found '" + text + "'";
        return "";
      },
      "N>=1");
  return v;
}

CLI::Validator number_at_least(double min) {
  char lo[32];
  std::snprintf(lo, sizeof lo, "%g", min);
  return CLI::Validator(
      [min, shown = std::string(lo)](std::string& text) -> std::string {
        double v = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, std::chars_format::fixed);
        if (text.empty() || ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v) || v < min ||
            v > 1e9)
          return "must be a number of " + shown + " or more, found '" + text + "'";
        return "";
      },
      "N>=" + std::string(lo));
}

}  // namespace ofq::cli
