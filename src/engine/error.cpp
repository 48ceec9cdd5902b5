#include "ofq/error.hpp"

namespace ofq {
namespace {

class Category : public std::error_category {
public:
  const char* name() const noexcept override { return "ofq"; }
  std::string message(int v) const override { return errc_name(static_cast<Errc>(v)); }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

int exit_code(Errc e) noexcept {
  switch (e) {
    case Errc::ok: return 0;
    case Errc::bad_usage:
    case Errc::bad_positions:
    case Errc::unknown_sequence:
    case Errc::not_nucleic: return 1;
    case Errc::file_refused:
    case Errc::corrupt_input:
    case Errc::unsupported_format:
    case Errc::bad_index: return 2;
    case Errc::io_error: return 3;
    case Errc::internal: return 4;
  }
  return 4;
}

const char* errc_name(Errc e) noexcept {
  switch (e) {
    case Errc::ok: return "ok";
    case Errc::bad_usage: return "bad_usage";
    case Errc::bad_positions: return "bad_positions";
    case Errc::unknown_sequence: return "unknown_sequence";
    case Errc::not_nucleic: return "not_nucleic";
    case Errc::file_refused: return "file_refused";
    case Errc::corrupt_input: return "corrupt_input";
    case Errc::unsupported_format: return "unsupported_format";
    case Errc::bad_index: return "bad_index";
    case Errc::io_error: return "io_error";
    case Errc::internal: return "internal";
  }
  return "internal";
}

}  // namespace ofq
