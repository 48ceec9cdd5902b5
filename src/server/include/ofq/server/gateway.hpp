// The front door every request passes before and after its route (issue 5): CORS
// preflight, bearer tokens (401), the per-client rate limit (429), the route itself, the
// answer-bytes limit (413), gzip Content-Encoding, metrics and one access-log line.
// Handlers stay plain functions; the transport calls Gateway::handle instead of the
// router when a gateway is installed.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ofq/output.hpp"
#include "ofq/server/http.hpp"
#include "ofq/server/metrics.hpp"

namespace ofq::server {

/// (method, pattern) of a route, as Router::add was given it.
using RouteList = std::vector<std::pair<std::string, std::string>>;

/// Bearer tokens read from a file: one token a line, optionally followed by whitespace and
/// a client name used in logs and for the rate limit; blank lines and `#` comments skipped.
class TokenSet {
public:
  /// Throws std::runtime_error naming the file when it cannot be read or holds no token.
  static TokenSet load(const std::string& path);
  void add(std::string token, std::string name);
  /// The client name of an `Authorization: Bearer T` header value; nullopt if not valid.
  [[nodiscard]] std::optional<std::string> check(std::string_view authorization) const;
  [[nodiscard]] size_t size() const noexcept { return tokens_.size(); }

private:
  std::unordered_map<std::string, std::string> tokens_;
};

/// A token bucket per client: `rate` requests a second on average, bursts of `burst`.
class RateLimiter {
public:
  RateLimiter(double rate, double burst);
  /// True when `client` may go on at `now`; else false with the seconds until it may.
  bool allow(const std::string& client, std::chrono::steady_clock::time_point now, double* retry_after);
  [[nodiscard]] double rate() const noexcept { return rate_; }

private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  double rate_, burst_;
  std::mutex m_;
  std::unordered_map<std::string, Bucket> buckets_;
};

/// "20/s", "20", "600/min" -> requests a second. Throws std::invalid_argument.
[[nodiscard]] double parse_rate(std::string_view text);
/// A rate in requests a second as people write it: 20, 0.5 (not 20.000000).
[[nodiscard]] std::string rate_text(double per_second);

/// True when an Accept-Encoding value accepts gzip (q > 0, or `*`).
[[nodiscard]] bool accepts_gzip(std::string_view accept_encoding);
/// One gzip member of `data` (zlib, RFC 1952).
[[nodiscard]] std::string gzip_compress(std::string_view data, int level = 1);

/// A sink that gzip-compresses into another sink; finish() writes the trailer.
class GzipSink final : public OutputSink {
public:
  explicit GzipSink(OutputSink& out, int level = 1);
  ~GzipSink() override;
  void write(std::string_view bytes) override;
  void finish();

private:
  void pump(int flush);
  OutputSink& out_;
  struct State;
  std::unique_ptr<State> st_;
};

struct GatewayOptions {
  std::string tokens_file;       ///< --tokens; empty: open (every route)
  double rate = 0;               ///< --rate, requests a second per client; 0: no limit
  double burst = 0;              ///< bucket size; 0: max(rate, 1)
  bool trust_proxy = false;      ///< --trust-proxy: the client is X-Forwarded-For's first address
  std::string cors_origin = "*"; ///< --cors-origin; empty: no CORS headers
  size_t gzip_min_bytes = 4096;  ///< answers this large or larger are compressed when accepted
  int gzip_level = 1;
  uint64_t max_answer_bytes = 4ull << 30;  ///< --max-answer-bytes; more: 413
  bool access_log = true;        ///< one JSON line a request on `log_file`
  std::FILE* log_file = stderr;
};

class Gateway {
public:
  /// `front` is tried first for the paths it knows (jobs, metrics ...), then `back`.
  /// `routes` lists every route of both (for the metrics' route label).
  Gateway(GatewayOptions opt, std::function<Response(Request&)> dispatch, RouteList routes, Metrics& metrics);

  /// The whole answer to one request from `remote` (the peer's address).
  [[nodiscard]] Response handle(Request& req, std::string_view remote);

  /// The pattern of the route that `path` (no query) matches, or "unmatched".
  [[nodiscard]] std::string_view route_of(std::string_view path) const;
  /// True when some route of method `method` matches `path`.
  [[nodiscard]] bool has_route(std::string_view method, std::string_view path) const;

  /// An answer the transport gave before any routing (a malformed request, a body over
  /// --max-body, a connection over --max-connections): counted and logged like the others.
  /// `method` and `target` are empty when the request line was not read.
  void record_transport(std::string_view method, std::string_view target, std::string_view remote,
                        unsigned status, uint64_t bytes, std::string_view error_code);

  /// Reads --tokens again (SIGHUP). On failure the tokens in force stay, and the message
  /// says why; on success it says how many were loaded.
  bool reload_tokens(std::string& message);

  [[nodiscard]] const GatewayOptions& options() const noexcept { return opt_; }
  [[nodiscard]] size_t token_count() const;

private:
  struct Compiled {
    std::string method, pattern;
    std::vector<std::string> segments;
  };
  void finish(const Request& req, std::string_view remote, std::string_view route, std::string_view client,
              unsigned status, uint64_t bytes, std::string_view error_code,
              std::chrono::steady_clock::time_point t0, bool aborted);
  void cors(const Request& req, Response& res) const;

  GatewayOptions opt_;
  std::function<Response(Request&)> dispatch_;
  std::vector<Compiled> routes_;
  Metrics& metrics_;
  // Replaced whole by reload_tokens(); a request keeps the set it started with.
  std::shared_ptr<const TokenSet> tokens_;
  mutable std::mutex tokens_m_;
  std::shared_ptr<const TokenSet> tokens() const;
  std::unique_ptr<RateLimiter> limiter_;
  std::mutex log_m_;
};

}  // namespace ofq::server
