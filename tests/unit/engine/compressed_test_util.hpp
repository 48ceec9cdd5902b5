// Helpers for the gzip / BGZF tests: the script-made fixtures, temp folders, file bytes.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ofq/byte_source.hpp"

namespace ofq::test {

namespace fs = std::filesystem;

/// tests/data/generated/compressed, made by tests/data/make_compressed_fixtures.sh on first use.
inline const std::string& compressed_fixtures() {
  static std::once_flag once;
  static std::string dir = std::string(OFQ_TEST_DATA) + "/generated/compressed";
  std::call_once(once, [] {
    const std::string cmd = "bash '" + std::string(OFQ_TEST_DATA) + "/make_compressed_fixtures.sh' '" + dir + "'";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot make the fixtures: " + cmd);
  });
  return dir;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

class TempDir {
public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "ofq_compressed_XXXXXX").string();
    if (::mkdtemp(t.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = t;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  [[nodiscard]] std::string str() const { return path_.string(); }

  /// Copies fixture `name` here (indexes are then written beside the copy, not the fixture).
  std::string copy(const std::string& name) const {
    const std::string to = *this / name;
    fs::copy_file(compressed_fixtures() + "/" + name, to, fs::copy_options::overwrite_existing);
    return to;
  }

private:
  fs::path path_;
};

/// Reads [offset, offset + n) through the source.
inline std::string read(const ByteSource& src, uint64_t offset, size_t n) {
  std::string s(n, '\0');
  src.read_at(offset, std::span<char>(s.data(), s.size()));
  return s;
}

/// Compares reads at many places with `text`: the whole text in 1 MiB steps, windows around
/// every `boundaries` offset, and `random_reads` random ranges.
inline void expect_reads_match(const ByteSource& src, const std::string& text,
                               const std::vector<uint64_t>& boundaries, int random_reads = 300) {
  ASSERT_EQ(src.size(), text.size());
  for (size_t at = 0; at < text.size(); at += 1u << 20) {
    const size_t n = std::min<size_t>(1u << 20, text.size() - at);
    ASSERT_EQ(read(src, at, n), text.substr(at, n)) << "chunk at " << at;
  }
  for (uint64_t b : boundaries) {
    for (uint64_t before : {1ull, 7ull, 100ull, 70000ull}) {
      for (uint64_t after : {0ull, 1ull, 300ull, 70000ull}) {
        const uint64_t a = b >= before ? b - before : 0;
        const uint64_t e = std::min<uint64_t>(text.size(), b + after);
        if (a >= e) continue;
        ASSERT_EQ(read(src, a, e - a), text.substr(a, e - a)) << "around boundary " << b << " [" << a << "," << e << ")";
      }
    }
  }
  std::mt19937_64 rng(42);
  for (int i = 0; i < random_reads; ++i) {
    const uint64_t a = rng() % text.size();
    const uint64_t n = std::min<uint64_t>(text.size() - a, (rng() % 4 == 0) ? rng() % 300000 : rng() % 200);
    ASSERT_EQ(read(src, a, n), text.substr(a, n)) << "random read " << i << " at " << a;
  }
  ASSERT_EQ(read(src, text.size(), 0), "");
}

}  // namespace ofq::test
