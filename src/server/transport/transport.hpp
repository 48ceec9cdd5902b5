// Private to src/server: the Beast session that serves one connection.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>

#include "ofq/server/http.hpp"
#include "ofq/server/server.hpp"

namespace ofq::server::transport {

class Session;

/// What sessions share with the server that owns them.
struct Context {
  const Router* router = nullptr;
  const ServerOptions* opt = nullptr;
  boost::asio::thread_pool* workers = nullptr;
  /// When set, every request goes through it (Operations: gateway) instead of router.
  std::function<Response(Request&, std::string_view remote)> handle;
  /// Told of every answer the transport gives itself (never routed): status, bytes, code.
  std::function<void(std::string_view method, std::string_view target, std::string_view remote, unsigned status,
                     uint64_t bytes, std::string_view error_code)>
      on_transport_answer;
  std::atomic<bool> stopping{false};
  std::atomic<int> active{0};

  // Live sessions, so that a stop can close the idle keep-alive ones at once.
  std::mutex sessions_mutex;
  std::list<std::weak_ptr<Session>> sessions;
  void close_idle_sessions();
  /// After the I/O threads have stopped: every streamed answer's producer is told to end.
  void cancel_streams();
};

/// Takes over a connected socket and serves requests on it until it closes.
void start_session(boost::asio::ip::tcp::socket socket, Context& ctx);

}  // namespace ofq::server::transport
