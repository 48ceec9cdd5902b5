// The one table from engine error codes (ofq::Errc) to HTTP statuses and API.md's error
// codes. A new Errc is added here, in exit_code() (CLI) and in errc_name() (engine).
#pragma once

#include <string_view>

#include "ofq/error.hpp"

namespace ofq::server {

struct HttpErrorKind {
  unsigned status;
  std::string_view code;  ///< API.md's error code
};

[[nodiscard]] HttpErrorKind http_error_kind(Errc e) noexcept;

}  // namespace ofq::server
