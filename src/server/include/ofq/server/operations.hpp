// Everything issue 5 adds to a server, assembled in one object: the durable job queue, the
// routes over it (/v1/jobs, and the original POST/result), /metrics, /openapi.json, and the
// gateway that every request passes (tokens, rate limit, CORS, gzip, answer limit,
// metrics, access log). The Server owns one and calls it at four points: after the router
// is built (attach), at start, at stop, and for every request (handle).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ofq/server/gateway.hpp"
#include "ofq/server/jobs.hpp"
#include "ofq/server/metrics.hpp"

namespace ofq::server {

struct Service;

struct OperationsOptions {
  JobOptions jobs;
  GatewayOptions gateway;
  uint64_t max_connections = 10'000;  ///< --max-connections: open connections at once
};

/// The OpenAPI 3 document of `routes` (method, pattern): every route, with its parameters
/// and answers. A route without an entry in the documentation table is listed with
/// `x-ofq-undocumented: true` (the unit test refuses that).
[[nodiscard]] std::string openapi_document(const RouteList& routes);

class Operations {
public:
  /// Opens the job store (throws std::runtime_error naming it).
  Operations(OperationsOptions opt, Service& svc);
  ~Operations();

  /// Builds the routes of issue 5 and the gateway in front of `back` (the server's
  /// router); `back_routes` lists back's routes; `open_connections` feeds the gauge.
  void attach(const Router& back, const RouteList& back_routes, std::function<int64_t()> open_connections);

  void start();
  void stop();

  /// The answer to one request (through the gateway). attach() first.
  [[nodiscard]] Response handle(Request& req, std::string_view remote);

  /// Every route, issue 5's first (they win over back's on the same path).
  [[nodiscard]] const RouteList& routes() const noexcept { return all_routes_; }
  [[nodiscard]] const OperationsOptions& options() const noexcept { return opt_; }
  [[nodiscard]] JobQueue& jobs() noexcept { return *jobs_; }
  [[nodiscard]] Metrics& metrics() noexcept { return metrics_; }
  /// See Gateway::record_transport and Gateway::reload_tokens.
  void record_transport(std::string_view method, std::string_view target, std::string_view remote,
                        unsigned status, uint64_t bytes, std::string_view error_code);
  bool reload_tokens(std::string& message);
  /// The startup lines that print the limits and the access settings.
  [[nodiscard]] std::string describe() const;

private:
  OperationsOptions opt_;
  Service& svc_;
  Metrics metrics_;
  std::unique_ptr<JobQueue> jobs_;
  Router front_;
  RouteList front_routes_, all_routes_;
  std::unique_ptr<Gateway> gateway_;
  std::string openapi_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace ofq::server
