#include "transport/refuse.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <string>

#include "ofq/server/http.hpp"

namespace ofq::server::transport {

namespace http = boost::beast::http;

void refuse_connection(boost::asio::ip::tcp::socket socket, int64_t open, uint64_t limit, Context& ctx) {
  Response r = error_response(413, "too_large",
                              std::to_string(open) + " connections are open, the limit is " + std::to_string(limit) +
                                  " (--max-connections); retry later");
  auto s = std::make_shared<boost::asio::ip::tcp::socket>(std::move(socket));
  auto res = std::make_shared<http::response<http::string_body>>(http::status::payload_too_large, 11);
  res->set(http::field::server, "ofq");
  res->set(http::field::content_type, "application/json");
  res->set(http::field::retry_after, "5");
  res->keep_alive(false);
  res->body() = std::move(r.body);
  res->prepare_payload();
  if (ctx.on_transport_answer) {
    boost::system::error_code ec;  // a peer already gone has no address: logged as ""
    auto ep = s->remote_endpoint(ec);
    ctx.on_transport_answer("", "", ec ? std::string() : ep.address().to_string(), 413, res->body().size(),
                            "too_large");
  }
  http::async_write(*s, *res, [s, res](boost::beast::error_code, size_t) {
    boost::system::error_code ignored;  // the peer may be gone already: nothing to tell it
    // Bytes of a request already received are read and dropped, so that closing does not
    // reset the connection before the client has read the answer.
    if (size_t n = s->available(ignored)) {
      std::string sink(n, '\0');
      s->read_some(boost::asio::buffer(sink), ignored);
    }
    s->shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    s->close(ignored);
  });
}

}  // namespace ofq::server::transport
