#include "ofq/server/error_status.hpp"

namespace ofq::server {

HttpErrorKind http_error_kind(Errc e) noexcept {
  switch (e) {
    case Errc::ok: return {200, "ok"};
    case Errc::bad_usage: return {400, "bad_request"};
    case Errc::bad_positions: return {422, "bad_positions"};
    case Errc::unknown_sequence: return {404, "unknown_sequence"};
    // The request is well formed but asks for something the record cannot give.
    case Errc::not_nucleic: return {422, "bad_positions"};
    // The rest are the catalog's fault, not the caller's: a file refused or damaged on
    // the server, or an index that cannot be used. The message says which sample.
    case Errc::file_refused:
    case Errc::corrupt_input:
    case Errc::unsupported_format:
    case Errc::bad_index:
    case Errc::io_error:
    case Errc::internal: return {500, "internal"};
  }
  return {500, "internal"};
}

}  // namespace ofq::server
