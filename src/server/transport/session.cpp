// One HTTP/1.1 connection: read a request (header, then body, each with its timeout),
// route it, write the answer, repeat while keep-alive holds. All of a session's work runs
// on its strand; streamed answers are produced on the worker pool and handed over through
// a bounded Pipe, so that a slow client slows the producer instead of growing memory.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <condition_variable>
#include <deque>
#include <optional>

#include "ofq/server/error_status.hpp"
#include "transport/transport.hpp"

namespace ofq::server::transport {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

/// Producer (worker thread) to consumer (session strand) hand-over of answer bytes.
struct Pipe {
  explicit Pipe(size_t limit_bytes) : limit(limit_bytes) {}
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::string> queue;
  size_t queued = 0;  ///< bytes queued or being written
  const size_t limit;
  bool done = false, failed = false, cancelled = false;
  std::optional<Response> error;  ///< the error answer, when failed
  std::function<void()> notify;   ///< wakes the session (posts to its strand)

  /// The producer's next write throws ClientGone; one blocked on a full pipe wakes for it.
  void cancel() {
    {
      std::lock_guard lock(m);
      cancelled = true;
    }
    cv.notify_all();
  }
};

class PipeSink final : public OutputSink {
public:
  explicit PipeSink(std::shared_ptr<Pipe> p) : pipe_(std::move(p)) {}
  void write(std::string_view bytes) override {
    if (bytes.empty()) return;
    {
      std::unique_lock lock(pipe_->m);
      pipe_->cv.wait(lock, [&] { return pipe_->cancelled || pipe_->queued < pipe_->limit; });
      if (pipe_->cancelled) throw ClientGone();
      pipe_->queue.emplace_back(bytes);
      pipe_->queued += bytes.size();
    }
    pipe_->notify();
  }

private:
  std::shared_ptr<Pipe> pipe_;
};

}  // namespace

class Session : public std::enable_shared_from_this<Session> {
  /// Request bodies larger than this are routed on the worker pool, not the I/O thread.
  static constexpr size_t k_inline_body_bytes = 64 * 1024;
  static constexpr size_t k_body_buffer_bytes = 512 * 1024;
  static constexpr size_t k_body_padding = 64;  ///< SIMDJSON_PADDING (positions_json.cpp)

public:
  Session(tcp::socket&& socket, Context& ctx) : stream_(std::move(socket)), ctx_(ctx) {
    ++ctx_.active;
    beast::error_code ec;  // a peer already gone has no address: logged as ""
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
  }
  ~Session() { --ctx_.active; }

  void run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

  /// From Context::close_idle_sessions (any thread): a session waiting for its next
  /// request is closed; one answering finishes first (keep-alive is off once stopping).
  void close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->idle_) self->close();
    });
  }

  /// Only once no I/O thread runs (the strand is idle for good): the producer, if any, is
  /// told to stop; it holds its own reference to the pipe.
  void cancel_stream_after_stop() {
    if (pipe_) pipe_->cancel();
  }

private:
  const ServerOptions& opt() const { return *ctx_.opt; }

  /// Through the gateway when the server has one (issue 5), else straight to the router.
  Response route(Request& req) { return ctx_.handle ? ctx_.handle(req, remote_) : ctx_.router->dispatch(req); }

  void read_header() {
    if (ctx_.stopping) return close();
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(opt().limits.max_body_bytes);
    idle_ = true;
    stream_.expires_after(first_ ? opt().header_timeout : opt().idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, size_t) {
    idle_ = false;
    first_ = false;
    if (ec) {
      // The peer closed or timed out between requests: nothing to answer.
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == net::error::operation_aborted || ec == net::error::connection_reset)
        return close();
      if (ec == http::error::body_limit)  // Content-Length over the limit, found with the header
        return refuse_body_over_limit();
      return refuse(400, "bad_request", "malformed HTTP request: " + ec.message());
    }
    auto& req = parser_->get();
    version_ = req.version();
    keep_alive_ = req.keep_alive() && !ctx_.stopping;
    head_ = req.method() == http::verb::head;
    if (auto len = parser_->content_length(); len && *len > opt().limits.max_body_bytes) {
      // The body is not read: the connection cannot be reused (refuse() closes it).
      return refuse(413, "too_large",
                    "request body of " + std::to_string(*len) + " bytes is over the limit of " +
                        std::to_string(opt().limits.max_body_bytes) + " bytes (--max-body)");
    }
    // Only chunked framing is understood: with any other transfer coding the body's end is
    // unknown, and reading it as bytes would take the next request for part of this one.
    // One header line saying exactly "chunked", or none: a list ("gzip, chunked"), an empty
    // value or a second line would be framed one way here and another way by a proxy.
    if (size_t lines = req.count(http::field::transfer_encoding); lines > 0) {
      const auto raw_te = req[http::field::transfer_encoding];
      std::string_view te(raw_te.data(), raw_te.size());
      while (!te.empty() && (te.front() == ' ' || te.front() == '\t')) te.remove_prefix(1);
      while (!te.empty() && (te.back() == ' ' || te.back() == '\t')) te.remove_suffix(1);
      if (lines > 1 || !beast::iequals(beast::string_view(te.data(), te.size()), "chunked") || !parser_->chunked())
        return refuse(400, "bad_request",
                      "Transfer-Encoding '" + std::string(te.substr(0, 40)) + (lines > 1 ? "' (and more lines)" : "'") +
                          " is not supported: send the body with a Content-Length, or chunked");
      if (req.count(http::field::content_length))
        return refuse(400, "bad_request", "a request may not carry both Transfer-Encoding and Content-Length");
    }
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, version_);
      stream_.expires_after(opt().write_timeout);
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code e, size_t) {
        if (e) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    // Beast reads at most the buffer's free capacity at a time, and the parser empties the
    // buffer as it goes: left at its header size (~1 kB), a 40 MB body took 38,000 reads
    // and 0.9 s on loopback. A large body gets a large buffer, given back after the request.
    auto len = parser_->content_length();
    if (!len || *len > k_body_buffer_bytes / 4) buffer_.reserve(k_body_buffer_bytes);
    // Room for the JSON parser's padding past the body's end, so it can read it in place.
    if (len) parser_->get().body().reserve(static_cast<size_t>(*len) + k_body_padding);
    stream_.expires_after(opt().body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec == http::error::body_limit) return refuse_body_over_limit();
    if (ec == beast::error::timeout || ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == http::error::end_of_stream || ec == net::error::eof || ec == http::error::partial_message)
      return close();  // timed out or gone while sending the body: no one to answer
    if (ec) return refuse(400, "bad_request", "malformed HTTP request body: " + ec.message());
    auto msg = parser_->release();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.headers.reserve(8);
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    req.body = std::move(msg.body());
    if (req.body.size() > k_inline_body_bytes) {
      // Parsing and checking a large batch takes milliseconds: done on the worker pool so
      // that the I/O thread goes on serving the other connections meanwhile.
      net::post(*ctx_.workers, [self = shared_from_this(), req = std::move(req)]() mutable {
        Response res = self->route(req);
        net::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
          self->respond(std::move(res));
        });
      });
      return;
    }
    respond(route(req));
  }

  /// An answer of the transport's own, before any routing: logged and counted through
  /// the server's hook, then the connection closes (its framing may be lost).
  void refuse(unsigned status, const char* code, const std::string& message) {
    keep_alive_ = false;
    Response r = error_response(status, code, message);
    if (ctx_.on_transport_answer) {
      std::string method, target;
      // Set once the request line was read (even when a header then failed); else empty.
      if (parser_) {
        method = std::string(parser_->get().method_string());
        target = std::string(parser_->get().target());
      }
      ctx_.on_transport_answer(method, target, remote_, status, r.body.size(), code);
    }
    send(std::move(r));
  }

  void refuse_body_over_limit() {
    refuse(413, "too_large",
           "request body is over the limit of " + std::to_string(opt().limits.max_body_bytes) + " bytes (--max-body)");
  }

  void respond(Response res) {
    if (closed_) return;
    if (res.streaming() && !head_) return start_stream(std::move(res));
    // HEAD of a streamed answer: its length is not known without producing it.
    bool length_known = !res.streaming();
    res.stream = nullptr;
    send(std::move(res), length_known);
  }

  template <class Message>
  void set_common(Message& m, const Response& r) {
    m.set(http::field::server, "ofq");
    m.set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) m.set(k, v);
    m.keep_alive(keep_alive_);
  }

  void send(Response r, bool length_known = true) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version_ ? version_ : 11);
    set_common(*res, r);
    if (head_) {
      // HEAD: the headers of the GET answer, with its length, and no body.
      if (length_known) res->content_length(r.body.size());
    } else {
      res->body() = std::move(r.body);
      res->prepare_payload();
    }
    stream_.expires_after(opt().write_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec) return self->close();
      self->after_response();
    });
  }

  void after_response() {
    // 1,000 idle keep-alive connections should not each hold a body-sized buffer.
    if (buffer_.capacity() > 64 * 1024 && buffer_.size() == 0) buffer_.shrink_to_fit();
    if (keep_alive_ && !ctx_.stopping) return read_header();
    close();
  }

  void start_stream(Response r) {
    pipe_ = std::make_shared<Pipe>(opt().stream_buffer_bytes);
    std::weak_ptr<Session> weak = shared_from_this();
    auto ex = stream_.get_executor();
    pipe_->notify = [weak, ex] {
      if (auto self = weak.lock()) net::post(ex, [self] { self->pump(); });
    };
    auto fn = std::move(r.stream);
    r.stream = nullptr;
    pending_ = std::move(r);
    headers_sent_ = false;
    // The session is kept alive by the worker until it is done with the pipe.
    net::post(*ctx_.workers, [self = shared_from_this(), pipe = pipe_, fn = std::move(fn)] {
      PipeSink sink(pipe);
      std::optional<Response> err;
      try {
        fn(sink);
      } catch (const ClientGone&) {
        err = error_response(500, "internal", "the connection is gone");  // never sent: closed
      } catch (const ApiError& e) {
        err = error_response(e);
      } catch (const Error& e) {
        err = self->ctx_.router->on_engine_error ? self->ctx_.router->on_engine_error(e)
                                                 : error_response(http_error_kind(e.code()).status,
                                                                  http_error_kind(e.code()).code, e.what());
      } catch (const std::exception&) {
        err = error_response(500, "internal", "internal error while streaming the answer");
      }
      {
        std::lock_guard lock(pipe->m);
        if (err) {
          pipe->failed = true;
          pipe->error = std::move(err);
        } else {
          pipe->done = true;
        }
      }
      pipe->notify();
    });
  }

  void pump() {
    if (writing_ || !pipe_ || closed_) return;
    std::unique_lock lock(pipe_->m);
    if (!headers_sent_) {
      if (pipe_->failed && pipe_->queue.empty()) {
        // Nothing reached the client yet: a normal error answer (API.md).
        Response err = std::move(*pipe_->error);
        lock.unlock();
        pipe_.reset();
        return send(std::move(err));
      }
      if (pipe_->done) {
        // The whole answer fitted in the pipe: send it with a Content-Length.
        std::string body;
        body.reserve(pipe_->queued);
        for (auto& c : pipe_->queue) body += c;
        pipe_->queue.clear();
        lock.unlock();
        pipe_.reset();
        Response r = std::move(pending_);
        r.body = std::move(body);
        return send(std::move(r));
      }
      if (pipe_->queue.empty()) return;
      lock.unlock();
      headers_sent_ = true;
      writing_ = true;
      head_msg_ = std::make_unique<http::response<http::empty_body>>(
          static_cast<http::status>(pending_.status), version_);
      set_common(*head_msg_, pending_);
      if (version_ >= 11) {
        head_msg_->chunked(true);
      } else {
        // HTTP/1.0 has no chunks: the body ends when the connection closes.
        keep_alive_ = false;
        head_msg_->keep_alive(false);
      }
      head_sr_ = std::make_unique<http::response_serializer<http::empty_body>>(*head_msg_);
      stream_.expires_after(opt().write_timeout);
      http::async_write_header(stream_, *head_sr_, [self = shared_from_this()](beast::error_code ec, size_t) {
        self->writing_ = false;
        if (ec) return self->abort_stream();
        self->pump();
      });
      return;
    }
    if (!pipe_->queue.empty()) {
      chunk_ = std::move(pipe_->queue.front());
      pipe_->queue.pop_front();
      lock.unlock();
      writing_ = true;
      stream_.expires_after(opt().write_timeout);
      auto on_written = [self = shared_from_this()](beast::error_code ec, size_t) {
        self->writing_ = false;
        if (self->pipe_) {
          {
            std::lock_guard l(self->pipe_->m);
            self->pipe_->queued -= self->chunk_.size();
          }
          self->pipe_->cv.notify_all();
        }
        self->chunk_.clear();
        if (ec) return self->abort_stream();
        self->pump();
      };
      if (version_ >= 11)
        net::async_write(stream_, http::make_chunk(net::buffer(chunk_)), std::move(on_written));
      else
        net::async_write(stream_, net::buffer(chunk_), std::move(on_written));
      return;
    }
    if (pipe_->done && version_ < 11) {
      lock.unlock();
      pipe_.reset();
      return close();  // HTTP/1.0: closing the connection ends the body
    }
    if (pipe_->done) {
      lock.unlock();
      writing_ = true;
      stream_.expires_after(opt().write_timeout);
      net::async_write(stream_, http::make_chunk_last(), [self = shared_from_this()](beast::error_code ec, size_t) {
        self->writing_ = false;
        self->pipe_.reset();
        if (ec) return self->close();
        self->after_response();
      });
      return;
    }
    if (pipe_->failed) {
      // Bytes were sent: end without the final chunk, so that every client sees a failed
      // transfer rather than a short answer that looks whole (API.md).
      lock.unlock();
      pipe_.reset();
      return close();
    }
  }

  // A write of the stream failed: close() cancels the producer and drops the connection.
  void abort_stream() { close(); }

  void close() {
    if (closed_) return;
    closed_ = true;
    if (pipe_) {
      pipe_->cancel();
      pipe_.reset();
    }
    beast::error_code ec;
    // Errors here are ignored on purpose: the peer may already be gone, and there is
    // nobody left to tell.
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  Context& ctx_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  unsigned version_ = 11;
  bool keep_alive_ = false, head_ = false, first_ = true, idle_ = false, closed_ = false;

  std::shared_ptr<Pipe> pipe_;
  Response pending_;
  bool headers_sent_ = false, writing_ = false;
  std::unique_ptr<http::response<http::empty_body>> head_msg_;
  std::unique_ptr<http::response_serializer<http::empty_body>> head_sr_;
  std::string chunk_;
};

void Context::close_idle_sessions() {
  std::lock_guard lock(sessions_mutex);
  for (auto& w : sessions)
    if (auto s = w.lock()) s->close_if_idle();
}

void Context::cancel_streams() {
  std::lock_guard lock(sessions_mutex);
  for (auto& w : sessions)
    if (auto s = w.lock()) s->cancel_stream_after_stop();
}

void start_session(tcp::socket socket, Context& ctx) {
  auto s = std::make_shared<Session>(std::move(socket), ctx);
  {
    std::lock_guard lock(ctx.sessions_mutex);
    // Forget the sessions that ended, then remember this one.
    ctx.sessions.remove_if([](const std::weak_ptr<Session>& w) { return w.expired(); });
    ctx.sessions.push_back(s);
  }
  s->run();
}

}  // namespace ofq::server::transport
