#include "ofq/server/operations.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "ofq/server/service.hpp"

namespace ofq::server {

namespace {


bool matches(const std::string& pattern, const std::vector<std::string>& segs) {
  auto p = split_path(pattern);
  if (p.size() != segs.size()) return false;
  for (size_t i = 0; i < p.size(); ++i)
    if (!(p[i].size() >= 2 && p[i].front() == '{' && p[i].back() == '}') && p[i] != segs[i]) return false;
  return true;
}

double resident_bytes() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, rss = 0;
  if (!(in >> pages >> rss)) return 0;
  return static_cast<double>(rss) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

}  // namespace

Operations::Operations(OperationsOptions opt, Service& svc) : opt_(std::move(opt)), svc_(svc) {
  opt_.jobs.ttl = std::chrono::duration_cast<std::chrono::milliseconds>(svc.limits.result_ttl);
  opt_.jobs.max_result_bytes = opt_.gateway.max_answer_bytes;
  jobs_ = std::make_unique<JobQueue>(opt_.jobs, svc);
}

Operations::~Operations() { stop(); }

void Operations::attach(const Router& back, const RouteList& back_routes, std::function<int64_t()> open_connections) {
  add_jobs_routes(front_, svc_, *jobs_);
  front_.add("GET", "/metrics", [this](Request&) {
    return text_response(metrics_.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  front_.add("GET", "/openapi.json", [this](Request&) { return json_response(openapi_); });
  front_.on_engine_error = [this](const Error& e) { return svc_.engine_error(e); };
  front_routes_ = front_.routes();
  all_routes_ = front_routes_;
  for (const auto& r : back_routes) {
    bool dup = false;
    for (const auto& f : front_routes_) dup |= f == r;
    if (!dup) all_routes_.push_back(r);
  }
  openapi_ = openapi_document(all_routes_);

  auto dispatch = [this, &back](Request& req) {
    auto segs = split_path(std::string_view(req.target).substr(0, req.target.find('?')));
    for (const auto& [m, p] : front_routes_)
      if (matches(p, segs)) return front_.dispatch(req);
    return back.dispatch(req);
  };
  gateway_ = std::make_unique<Gateway>(opt_.gateway, dispatch, all_routes_, metrics_);

  metrics_.add_collector("ofq_open_connections", "gauge", "HTTP connections open now.",
                         [open_connections] {
                           return Metrics::Samples{{"", open_connections ? double(open_connections()) : 0.0}};
                         });
  metrics_.add_collector("ofq_jobs", "gauge", "Jobs in the store, by state.", [this] {
    Metrics::Samples out;
    for (const auto& [st, n] : jobs_->store().counts())
      out.emplace_back(std::string("state=\"") + to_string(st) + "\"", double(n));
    return out;
  });
  metrics_.add_collector("ofq_jobs_submitted_total", "counter", "Jobs accepted since the server started.",
                         [this] { return Metrics::Samples{{"", double(jobs_->submitted())}}; });
  metrics_.add_collector("ofq_jobs_finished_total", "counter", "Jobs finished since the server started, by state.",
                         [this] {
                           Metrics::Samples out;
                           for (const auto& [st, n] : jobs_->finished())
                             out.emplace_back(std::string("state=\"") + to_string(st) + "\"", double(n));
                           return out;
                         });
  metrics_.add_collector("ofq_index_samples", "gauge",
                         "Samples of the catalog by index state (building = index builds in progress).", [this] {
                           double ready = 0, building = 0, failed = 0;
                           for (const auto& e : svc_.catalog.samples()) {
                             switch (e->status()) {
                               case IndexStatus::ready: ++ready; break;
                               case IndexStatus::building: ++building; break;
                               case IndexStatus::failed: ++failed; break;
                             }
                           }
                           return Metrics::Samples{{"state=\"ready\"", ready},
                                                   {"state=\"building\"", building},
                                                   {"state=\"failed\"", failed}};
                         });
  metrics_.add_collector("ofq_index_builds_total", "counter",
                         "Index (re)builds started since the server started (one per sample opened, plus rechecks).",
                         [this] {
                           double n = 0;
                           for (const auto& e : svc_.catalog.samples()) n += double(e->generation());
                           return Metrics::Samples{{"", n}};
                         });
  metrics_.add_collector("ofq_process_resident_memory_bytes", "gauge", "Resident memory of the server.",
                         [] { return Metrics::Samples{{"", resident_bytes()}}; });
  metrics_.add_collector("ofq_uptime_seconds", "gauge", "Seconds since the server started.", [this] {
    return Metrics::Samples{
        {"", std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()}};
  });
}

void Operations::start() { jobs_->start(); }
void Operations::stop() {
  if (jobs_) jobs_->stop();
}

Response Operations::handle(Request& req, std::string_view remote) { return gateway_->handle(req, remote); }

void Operations::record_transport(std::string_view method, std::string_view target, std::string_view remote,
                                  unsigned status, uint64_t bytes, std::string_view error_code) {
  gateway_->record_transport(method, target, remote, status, bytes, error_code);
}

bool Operations::reload_tokens(std::string& message) { return gateway_->reload_tokens(message); }

std::string Operations::describe() const {
  const auto& g = opt_.gateway;
  const auto& j = opt_.jobs;
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "ofq serve: limits: answer %llu bytes a request (--max-answer-bytes), %llu connections "
                "(--max-connections), %llu jobs queued or running (--max-jobs), %u run at once (--job-threads)\n"
                "ofq serve: jobs: %s%s\n"
                "ofq serve: access: %s; rate limit %s; gzip for answers of %zu bytes or more; CORS %s; "
                "access log %s\n",
                static_cast<unsigned long long>(g.max_answer_bytes),
                static_cast<unsigned long long>(opt_.max_connections), static_cast<unsigned long long>(j.max_jobs),
                std::max(1u, j.threads), jobs_->store().path().c_str(),
                jobs_->durable() ? " (durable)" : " (temporary: not kept after a restart; use --jobs-db FILE)",
                g.tokens_file.empty() ? "open (no --tokens)"
                                      : ("bearer tokens from " + g.tokens_file + ", /healthz open").c_str(),
                g.rate > 0 ? (rate_text(g.rate) + "/s a client").c_str() : "none",
                g.gzip_min_bytes, g.cors_origin.empty() ? "off" : ("origin " + g.cors_origin).c_str(),
                g.access_log ? "on (stderr, one JSON line a request)" : "off");
  return buf;
}

}  // namespace ofq::server
