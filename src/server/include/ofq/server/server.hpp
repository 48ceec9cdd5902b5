// `ofq serve`: one catalog over HTTP (API.md), Boost.Beast on Asio.
//
// A Server owns the catalog, the route table, the I/O threads (keep-alive sessions with
// read, idle and write timeouts) and the worker pool that runs streamed answers. start()
// binds and returns at once (port 0 picks a free port: tests); stop() stops accepting, lets
// requests in flight finish for a grace period, then closes everything.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "ofq/server/operations.hpp"
#include "ofq/server/service.hpp"

namespace ofq::server {

struct ServerOptions {
  std::string catalog_dir;
  std::string listen = "127.0.0.1:8080";  ///< HOST:PORT; port 0 = any free port
  std::string index_dir;
  unsigned io_threads = 0;      ///< 0: hardware concurrency
  unsigned stream_threads = 4;  ///< streamed answers and large original jobs at once
  unsigned index_threads = 1;   ///< samples indexed at once at startup
  std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};  ///< first request line + headers
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};    ///< keep-alive wait
  std::chrono::milliseconds body_timeout{std::chrono::seconds(120)};   ///< reading a body
  std::chrono::milliseconds write_timeout{std::chrono::seconds(60)};   ///< one write making no progress
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(5)};
  uint64_t stream_buffer_bytes = 1u << 20;  ///< answer bytes queued per streamed response
  Limits limits;
  OperationsOptions ops;  ///< jobs, limits, access, metrics (issue 5)
  bool log = true;
};

class Server {
public:
  /// Loads the catalog (throws CatalogError) and builds the routes; nothing listens yet.
  explicit Server(ServerOptions opt);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds, starts the threads and the background indexing. Throws std::runtime_error
  /// naming the address when it cannot listen.
  void start();
  /// Graceful stop; idempotent.
  void stop();
  /// Blocks until stop() has completed (from a signal handler thread or another caller).
  void wait();

  [[nodiscard]] uint16_t port() const noexcept;
  [[nodiscard]] Service& service() noexcept;
  [[nodiscard]] Router& router() noexcept;
  [[nodiscard]] Operations& operations() noexcept;

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

/// Runs a server until SIGINT or SIGTERM; returns the process exit code.
int run_server(const ServerOptions& opt);

}  // namespace ofq::server
