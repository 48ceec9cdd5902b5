// Private to src/server: the answer to a connection over --max-connections.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>

#include "transport/transport.hpp"

namespace ofq::server::transport {

/// Writes a 413 too_large answer naming the limit and closes the socket, without reading
/// the request: the connection is never served.
void refuse_connection(boost::asio::ip::tcp::socket socket, int64_t open, uint64_t limit, Context& ctx);

}  // namespace ofq::server::transport
