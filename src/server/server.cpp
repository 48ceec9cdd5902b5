#include "ofq/server/server.hpp"

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/thread_pool.hpp>

#include <condition_variable>
#include <optional>
#include <cstdio>
#include <thread>

#include "ofq/server/digest_catalog.hpp"
#include "transport/refuse.hpp"
#include "transport/transport.hpp"

namespace ofq::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

struct Server::Impl {
  ServerOptions opt;
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<DigestCatalog> digests;  // refget: hashes each sample once it is ready
  std::unique_ptr<Service> service;
  Router router;
  std::unique_ptr<Operations> ops;  // issue 5: jobs, gateway, metrics
  // Declared before the io_context and the pool: their pending handlers hold sessions,
  // whose destructors use ctx, so ctx must outlive them.
  transport::Context ctx;
  net::io_context ioc;
  // Without it, run() returns whenever no operation is pending on the I/O threads, e.g. a
  // streamed answer waiting for its producer once the acceptor is closed: the producer's
  // next hand-over would then never run and the answer would stall (issue 5).
  std::optional<net::executor_work_guard<net::io_context::executor_type>> io_work;
  // The acceptor is not thread-safe: its handlers and its close() run on one strand.
  tcp::acceptor acceptor{net::make_strand(ioc)};
  std::unique_ptr<net::thread_pool> workers;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool started = false;
  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stopped = false;

  void accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](boost::system::error_code ec, tcp::socket s) {
      if (!acceptor.is_open()) return;
      if (!ec) {
        boost::system::error_code ignored;  // a socket without NODELAY still works, slower
        s.set_option(tcp::no_delay(true), ignored);
        if (static_cast<uint64_t>(ctx.active.load()) >= opt.ops.max_connections)
          transport::refuse_connection(std::move(s), ctx.active.load(), opt.ops.max_connections, ctx);
        else
          transport::start_session(std::move(s), ctx);
      }
      // Errors (EMFILE, a reset before accept) end one connection, never the listener.
      accept();
    });
  }
};

namespace {

std::pair<std::string, uint16_t> split_listen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos)
    throw std::runtime_error("--listen '" + listen + "' must be HOST:PORT, e.g. 127.0.0.1:8080");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port = listen.substr(colon + 1);
  unsigned long p = 0;
  try {
    size_t used = 0;
    p = std::stoul(port, &used);
    if (used != port.size() || p > 65535) throw std::invalid_argument("port");
  } catch (const std::exception&) {
    throw std::runtime_error("--listen '" + listen + "': port must be a number from 0 to 65535");
  }
  return {host.empty() ? "127.0.0.1" : host, static_cast<uint16_t>(p)};
}

}  // namespace

Server::Server(ServerOptions opt) : impl_(std::make_unique<Impl>()) {
  impl_->opt = std::move(opt);
  CatalogOptions co;
  co.index_dir = impl_->opt.index_dir;
  co.index_threads = impl_->opt.index_threads;
  co.log = impl_->opt.log;
  impl_->catalog = Catalog::load(impl_->opt.catalog_dir, co);
  DigestCatalogOptions dco;
  dco.log = impl_->opt.log;
  impl_->digests = std::make_unique<DigestCatalog>(*impl_->catalog, dco);
  impl_->service = std::make_unique<Service>(*impl_->catalog, impl_->opt.limits);
  impl_->service->digests = impl_->digests.get();
  impl_->router = build_router(*impl_->service);
  impl_->ops = std::make_unique<Operations>(impl_->opt.ops, *impl_->service);
  impl_->ops->attach(impl_->router, impl_->router.routes(), [d = impl_.get()] { return int64_t{d->ctx.active.load()}; });
  impl_->ctx.handle = [o = impl_->ops.get()](Request& r, std::string_view remote) { return o->handle(r, remote); };
  impl_->ctx.on_transport_answer = [o = impl_->ops.get()](std::string_view method, std::string_view target,
                                                          std::string_view remote, unsigned status, uint64_t bytes,
                                                          std::string_view code) {
    o->record_transport(method, target, remote, status, bytes, code);
  };
  impl_->ctx.router = &impl_->router;
  impl_->ctx.opt = &impl_->opt;
}

Server::~Server() { stop(); }

void Server::start() {
  auto& d = *impl_;
  if (d.started) return;
  auto [host, port] = split_listen(d.opt.listen);
  boost::system::error_code ec;
  auto addr = net::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("--listen '" + d.opt.listen + "': '" + host + "' is not an IP address");
  tcp::endpoint ep(addr, port);
  d.acceptor.open(ep.protocol(), ec);
  if (!ec) d.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) d.acceptor.bind(ep, ec);
  if (!ec) d.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + d.opt.listen + ": " + ec.message());
  d.port = d.acceptor.local_endpoint().port();

  unsigned n_workers = std::max(1u, d.opt.stream_threads);
  d.workers = std::make_unique<net::thread_pool>(n_workers);
  d.ctx.workers = d.workers.get();
  d.service->run_background = [w = d.workers.get()](std::function<void()> job) {
    net::post(*w, std::move(job));
  };
  d.ops->start();  // recovered jobs wait for their sample's index
  d.catalog->start_indexing();
  d.digests->start();
  d.accept();
  d.io_work.emplace(d.ioc.get_executor());
  unsigned n_io = d.opt.io_threads ? d.opt.io_threads : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n_io; ++i) d.threads.emplace_back([&d] { d.ioc.run(); });
  d.started = true;
}

void Server::stop() {
  auto& d = *impl_;
  {
    std::lock_guard lock(d.stop_mutex);
    if (d.stopped) return;
    d.stopped = true;
  }
  if (d.started) {
    d.ctx.stopping = true;
    net::post(d.acceptor.get_executor(), [&d] {
      boost::system::error_code ignored;  // closing a listener that failed is harmless
      d.acceptor.close(ignored);
    });
    // Idle keep-alive connections close now; answers in flight get the grace period.
    auto deadline = std::chrono::steady_clock::now() + d.opt.shutdown_grace;
    while (d.ctx.active > 0 && std::chrono::steady_clock::now() < deadline) {
      d.ctx.close_idle_sessions();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    d.io_work.reset();
    d.ioc.stop();
    for (auto& t : d.threads) t.join();
    d.threads.clear();
    // Answers still streaming after the grace period: their producers may wait on a full
    // pipe that no I/O thread will drain any more; release them so the pool can join.
    d.ctx.cancel_streams();
    if (d.workers) {
      d.workers->stop();
      d.workers->join();
    }
  }
  if (d.ops) d.ops->stop();  // running jobs go back to queued, kept for the next start
  if (d.digests) d.digests->stop();  // an unfinished pass keeps its .partial file
  {
    std::lock_guard lock(d.stop_mutex);
    d.stop_cv.notify_all();
  }
}

void Server::wait() {
  std::unique_lock lock(impl_->stop_mutex);
  impl_->stop_cv.wait(lock, [this] { return impl_->stopped && impl_->threads.empty(); });
}

uint16_t Server::port() const noexcept { return impl_->port; }
Service& Server::service() noexcept { return *impl_->service; }
Router& Server::router() noexcept { return impl_->router; }
Operations& Server::operations() noexcept { return *impl_->ops; }

int run_server(const ServerOptions& opt) {
  // Signals are taken by sigwait() below, not by whichever thread they would hit.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);  // reload --tokens (systemd's ExecReload)
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<Server> server;
  try {
    server = std::make_unique<Server>(opt);
    server->start();
  } catch (const CatalogError& e) {
    std::fprintf(stderr, "ofq serve: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ofq serve: %s\n", e.what());
    return 3;
  }
  const auto& l = opt.limits;
  auto& cat = server->service().catalog;
  std::fprintf(stderr,
               "ofq serve: %zu samples from %s (%s); listening on http://%s:%u/\n"
               "ofq serve: limits: body %llu bytes, %llu positions a request, page size %llu, "
               "results kept %llds\n"
               "ofq serve: timeouts: header %llds, idle %llds, body %llds, write %llds; "
               "shutdown grace %gs\n",
               cat.samples().size(), opt.catalog_dir.c_str(),
               cat.discovered() ? "discovered" : "catalog.tsv",
               opt.listen.substr(0, opt.listen.rfind(':')).c_str(), unsigned(server->port()),
               static_cast<unsigned long long>(l.max_body_bytes),
               static_cast<unsigned long long>(l.max_positions),
               static_cast<unsigned long long>(l.max_page_size),
               static_cast<long long>(l.result_ttl.count()),
               static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(opt.header_timeout).count()),
               static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(opt.idle_timeout).count()),
               static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(opt.body_timeout).count()),
               static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(opt.write_timeout).count()),
               std::chrono::duration<double>(opt.shutdown_grace).count());
  if (opt.log) std::fputs(server->operations().describe().c_str(), stderr);
  int sig = 0;
  while (sigwait(&set, &sig) == 0 && sig == SIGHUP) {
    std::string message;
    server->operations().reload_tokens(message);
    std::fprintf(stderr, "ofq serve: SIGHUP: %s\n", message.c_str());
  }
  std::fprintf(stderr, "ofq serve: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  server->stop();
  return 0;
}

}  // namespace ofq::server
