// What every handler works over: the catalog, the limits, and the hook that runs long work
// off the I/O threads. One Service per server. (The original routes' results are jobs:
// handlers/jobs.cpp, issue 5.)
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "ofq/error.hpp"
#include "ofq/server/catalog.hpp"
#include "ofq/server/http.hpp"

namespace ofq::server {

/// Limits of one request; printed at startup (API.md: "limits are configurable").
struct Limits {
  uint64_t max_body_bytes = 512ull << 20;   ///< a larger body is 413 too_large
  uint64_t max_positions = 5'000'000;       ///< positions in one request
  uint64_t max_page_size = 100'000;         ///< genes / intergenic page_size
  uint64_t default_page_size = 1000;        ///< /v1 lists without page_size
  uint64_t inline_positions = 20'000;       ///< original POST: computed before answering up to this
  uint64_t max_region_inline = 1u << 20;    ///< single-region GET above this many bases streams
  std::chrono::seconds result_ttl{24 * 3600};     ///< job results (both APIs) expire (410) after this
};

class DigestCatalog;  // digest_catalog.hpp

struct Service {
  Service(Catalog& c, Limits l) : catalog(c), limits(l) {}

  Catalog& catalog;
  /// The catalog-wide refget lookup (handlers/refget.cpp); set by the Server. Null: the
  /// refget routes answer 503.
  DigestCatalog* digests = nullptr;
  Limits limits;
  /// Runs `work` off the I/O threads (the server posts it to its worker pool; tests run it
  /// inline when unset).
  std::function<void(std::function<void()>)> run_background;

  /// The sample behind an id, ready to query: ApiError 404 unknown_sample, 400 for an id
  /// that is a path, 503 not_ready (Retry-After) while indexing, 500 when indexing failed.
  [[nodiscard]] SampleEntry& entry(std::string_view sample_id) const;
  [[nodiscard]] std::shared_ptr<const Sample> ready(SampleEntry& e) const;

  /// The answer for an engine error: API.md's code and status, the message scrubbed of
  /// paths; a file found corrupt sends its sample back to indexing.
  [[nodiscard]] Response engine_error(const Error& e, SampleEntry* entry = nullptr) const;
};

/// The route table of a server: the original routes, /v1, and whatever a later part adds
/// (src/server/routes.cpp is the one list).
[[nodiscard]] Router build_router(Service& s);

void add_original_routes(Router& r, Service& s);  // handlers/original.cpp
void add_v1_routes(Router& r, Service& s);        // handlers/v1.cpp
void add_refget_routes(Router& r, Service& s);    // handlers/refget.cpp

}  // namespace ofq::server
