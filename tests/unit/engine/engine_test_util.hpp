// Small helpers for engine tests: a temporary folder that cleans up, files from literals.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ofq/sample.hpp"

namespace ofq::test {

class ScratchDir {
public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ofq-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] std::string file(const std::string& name, const std::string& content) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  [[nodiscard]] const std::string& path() const { return path_; }

private:
  std::string path_;
};

/// Fetches a region as a string.
inline std::string get(const Sample& s, std::string_view name, uint64_t start, uint64_t end,
                       SeqType t = SeqType::raw) {
  std::string out;
  s.fetch(*s.index().find(name), start, end, t, out);
  return out;
}

}  // namespace ofq::test
