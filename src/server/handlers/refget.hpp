// The GA4GH refget v2 routes (REFGET.md): GET /sequence/{id}, /sequence/{id}/metadata,
// /sequence/service-info, their OPTIONS preflights, and POST /v1/sequences (positions
// named by digest, API.md). Handlers are pure functions of a Request and the catalog's
// DigestCatalog; the pieces they are made of (Accept negotiation, Range parsing, the
// status rules and their precedence) are exposed for the unit tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ofq/server/digest_catalog.hpp"
#include "ofq/server/http.hpp"

namespace ofq::server::refget {

inline constexpr std::string_view k_plain_v2 = "text/vnd.ga4gh.refget.v2.0.0+plain";
inline constexpr std::string_view k_json_v2 = "application/vnd.ga4gh.refget.v2.0.0+json";

enum class Body { sequence, json };

/// The Content-Type to answer with for this Accept header, or nullopt when none of the
/// listed types can be produced (406). Parameters and q-values are ignored; the types
/// accepted are REFGET.md 1.4's.
[[nodiscard]] std::optional<std::string> negotiate(std::string_view accept, Body body);

/// `bytes=first-last` (only `^bytes=\d+-\d+$`); nullopt when malformed (400).
struct ByteRange {
  uint64_t first = 0, last = 0;
};
[[nodiscard]] std::optional<ByteRange> parse_range(std::string_view header);

/// What to answer for a subsequence request on a sequence of `length` bases, before any
/// base is read: an error status with its message, or the pieces [begin, end) to send in
/// order (two when a circular request wraps the origin).
struct Plan {
  unsigned status = 200;  ///< 200, 206 (Range), or 400 / 416 / 501
  std::string message;    ///< for errors
  std::vector<std::pair<uint64_t, uint64_t>> pieces;
  bool ranged = false;     ///< came from a Range header (Content-Range applies)
  bool subsequence = false; ///< start/end given (Accept-Ranges: none)
  [[nodiscard]] uint64_t size() const noexcept;
};
struct PlanInput {
  uint64_t length = 0;
  bool circular = false;
  bool circular_supported = true;
  std::optional<std::string_view> start, end, range;
  std::optional<uint64_t> limit;  ///< subsequence_limit; nullopt: none
};
/// The status rules of REFGET.md 1.3 in the suite's precedence (2 to 5; 404/406 come first,
/// from the caller).
[[nodiscard]] Plan plan_subsequence(const PlanInput& in);

struct Options {
  bool circular_supported = true;
  std::optional<uint64_t> subsequence_limit;
  unsigned retry_after_seconds = 5;
  /// Answers up to this size are built in memory with Content-Length; longer ones stream.
  uint64_t max_buffered_bases = 64ull << 20;
  std::string version = "0.1.0";
};

[[nodiscard]] Response sequence(const Request& req, const DigestCatalog& digests,
                                const Options& opt = {});
[[nodiscard]] Response metadata(const Request& req, const DigestCatalog& digests,
                                const Options& opt = {});
[[nodiscard]] Response service_info(const Request& req, const DigestCatalog& digests,
                                    const Options& opt = {});
[[nodiscard]] Response preflight(const Request& req);
/// POST /v1/sequences: {"positions": [{"digest", "start", "end", "type"}], "format"}.
[[nodiscard]] Response v1_sequences(const Request& req, const DigestCatalog& digests);

// The routes are added by ofq::server::add_refget_routes (service.hpp), service-info
// before /sequence/{id}.

}  // namespace ofq::server::refget
