// The handler layer's vocabulary: a Request in, a Response out, and a Router that is a
// table of (method, path pattern, handler). Nothing here knows about sockets: handlers are
// plain functions, unit-tested without a network (STYLE.md 11); src/server/transport
// turns Beast messages into Requests and Responses into bytes on the wire.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ofq/error.hpp"
#include "ofq/output.hpp"

namespace ofq::server {

/// The segments of a URL path, empty ones dropped ("/v1//a/" -> {"v1", "a"}): one
/// splitter for the router, the gateway's route names and OpenAPI.
[[nodiscard]] std::vector<std::string> split_path(std::string_view path);

struct Request {
  std::string method;  ///< "GET", "POST" ... (HEAD is routed as GET; the transport drops the body)
  std::string target;  ///< as received: path and query, percent-encoded
  std::string path;    ///< the target's path, still percent-encoded
  std::map<std::string, std::string, std::less<>> query;   ///< decoded; last value wins
  std::map<std::string, std::string, std::less<>> params;  ///< `{name}` captures, decoded
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased
  std::string body;

  [[nodiscard]] std::string_view header(std::string_view lower_name) const noexcept;
  [[nodiscard]] const std::string& param(std::string_view name) const;  ///< captured segment
  [[nodiscard]] std::optional<std::string_view> query_value(std::string_view name) const;
};

/// A response is either a `body` held in memory or a `stream` function that the transport
/// runs on a worker thread, writing into a sink that blocks while the socket drains (so
/// memory stays flat in the answer's size). A stream that throws before its first byte
/// reaches the wire becomes a normal error answer; after that the transport ends the
/// response without its final chunk so that clients see a failed transfer (API.md).
struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::function<void(OutputSink&)> stream;

  [[nodiscard]] bool streaming() const noexcept { return static_cast<bool>(stream); }
};

/// Thrown into a streamed answer's producer when its connection is gone (the client closed
/// it, a write timed out, the shutdown grace ran out): nobody is left to answer, and the
/// access log says `client_gone`, not a server fault.
struct ClientGone : std::runtime_error {
  ClientGone() : std::runtime_error("the client's connection is gone") {}
};

/// Thrown by handlers for every answer that is an error: the router turns it into the
/// JSON error body of API.md. `code` is one of API.md's codes ("bad_request" ...).
class ApiError : public std::runtime_error {
public:
  ApiError(unsigned status, std::string code, const std::string& message,
           std::vector<RowError> rows = {})
      : std::runtime_error(message), status_(status), code_(std::move(code)),
        rows_(std::move(rows)) {}
  [[nodiscard]] unsigned status() const noexcept { return status_; }
  [[nodiscard]] const std::string& code() const noexcept { return code_; }
  [[nodiscard]] const std::vector<RowError>& rows() const noexcept { return rows_; }
  /// Extra headers of the answer (Retry-After for not_ready).
  std::vector<std::pair<std::string, std::string>> headers;

private:
  unsigned status_;
  std::string code_;
  std::vector<RowError> rows_;
};

/// `{"error": code, "message": message[, "rows": [...]]}` with the given status.
[[nodiscard]] Response error_response(unsigned status, std::string_view code,
                                      std::string_view message,
                                      const std::vector<RowError>& rows = {});
[[nodiscard]] Response error_response(const ApiError& e);
[[nodiscard]] Response json_response(std::string body, unsigned status = 200);
[[nodiscard]] Response text_response(std::string body, std::string content_type,
                                     unsigned status = 200);

/// Percent-decoding of one path segment or query component ('+' is a space only in
/// queries). Throws ApiError(400) on a malformed escape.
[[nodiscard]] std::string percent_decode(std::string_view s, bool plus_is_space);
/// Splits "a=1&b=x%20y" into decoded pairs.
[[nodiscard]] std::map<std::string, std::string, std::less<>> parse_query(std::string_view q);

/// Query parameter helpers: absent -> fallback; present but not a whole number within
/// [min, max] -> ApiError(400) naming the parameter and the value.
[[nodiscard]] uint64_t query_uint(const Request& req, std::string_view name, uint64_t fallback,
                                  uint64_t min = 0, uint64_t max = UINT64_MAX);

using Handler = std::function<Response(Request&)>;

/// The route table. Patterns are paths whose segments are literals or `{name}` (one
/// segment, captured decoded into Request::params); a trailing '/' is ignored on both
/// sides, so the original client's "query/list-fasta-files/" and "...files" both match.
/// To add routes: write a function `void add_xxx_routes(Router&, Service&)` in
/// src/server/handlers/xxx.cpp and call it from build_router() (src/server/routes.cpp).
class Router {
public:
  void add(std::string method, std::string pattern, Handler handler);

  /// Finds the route, fills req.params and req.query, runs the handler. Unknown path: 404
  /// `not_found`; known path, other method: 405 with Allow. ApiError and ofq::Error thrown
  /// by a handler become their JSON error; anything else a 500 that names no path.
  [[nodiscard]] Response dispatch(Request& req) const;

  /// Every route as (method, pattern), in the order added (/openapi.json, metrics labels).
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> routes() const;

  /// Hook for turning an engine error into its answer (set by the service so that paths
  /// in messages are rewritten); default: error_status.hpp's table, message unchanged.
  std::function<Response(const Error&)> on_engine_error;

private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  ///< "{name}" for captures
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace ofq::server
