#include "ofq/server/metrics.hpp"

#include <cmath>
#include <cstdio>

namespace ofq::server {

namespace {

constexpr char k_sep = '\x1f';

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::string Metrics::escape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

void Metrics::record(std::string_view route, std::string_view method, unsigned status, double seconds,
                     uint64_t bytes_out, std::string_view error_code) {
  std::string key;
  key.reserve(route.size() + method.size() + 6);
  key.append(route).push_back(k_sep);
  key.append(method).push_back(k_sep);
  key.append(std::to_string(status));
  std::lock_guard lock(m_);
  auto it = requests_.find(key);
  if (it == requests_.end()) it = requests_.emplace(std::move(key), Series{}).first;
  Series& s = it->second;
  ++s.count;
  s.sum += seconds;
  for (size_t i = 0; i < std::size(k_buckets); ++i)
    if (seconds <= k_buckets[i]) ++s.buckets[i];
  auto b = bytes_.find(route);
  if (b == bytes_.end()) b = bytes_.emplace(std::string(route), 0).first;
  b->second += bytes_out;
  if (!error_code.empty()) {
    auto e = errors_.find(error_code);
    if (e == errors_.end()) e = errors_.emplace(std::string(error_code), 0).first;
    ++e->second;
  }
}

void Metrics::add_collector(std::string name, std::string type, std::string help,
                            std::function<Samples()> collect) {
  std::lock_guard lock(m_);
  collectors_.push_back(Collector{std::move(name), std::move(type), std::move(help), std::move(collect)});
}

std::string Metrics::render() const {
  std::string out;
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(m_);
    out += "# HELP ofq_http_requests_total HTTP requests answered, by route, method and status.\n"
           "# TYPE ofq_http_requests_total counter\n";
    std::string hist;
    hist += "# HELP ofq_http_request_duration_seconds Time from the request to the last byte of its answer.\n"
            "# TYPE ofq_http_request_duration_seconds histogram\n";
    for (const auto& [key, s] : requests_) {
      size_t a = key.find(k_sep), b = key.find(k_sep, a + 1);
      std::string labels = "route=\"" + escape(key.substr(0, a)) + "\",method=\"" +
                           escape(key.substr(a + 1, b - a - 1)) + "\",status=\"" + key.substr(b + 1) + "\"";
      out += "ofq_http_requests_total{" + labels + "} " + std::to_string(s.count) + "\n";
      for (size_t i = 0; i < std::size(k_buckets); ++i)
        hist += "ofq_http_request_duration_seconds_bucket{" + labels + ",le=\"" + number(k_buckets[i]) +
                "\"} " + std::to_string(s.buckets[i]) + "\n";
      hist += "ofq_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
              std::to_string(s.count) + "\n";
      hist += "ofq_http_request_duration_seconds_sum{" + labels + "} " + number(s.sum) + "\n";
      hist += "ofq_http_request_duration_seconds_count{" + labels + "} " + std::to_string(s.count) + "\n";
    }
    out += hist;
    out += "# HELP ofq_http_response_bytes_total Bytes of answer bodies sent (after compression), by route.\n"
           "# TYPE ofq_http_response_bytes_total counter\n";
    for (const auto& [route, n] : bytes_)
      out += "ofq_http_response_bytes_total{route=\"" + escape(route) + "\"} " + std::to_string(n) + "\n";
    out += "# HELP ofq_http_errors_total Error answers, by API.md error code.\n"
           "# TYPE ofq_http_errors_total counter\n";
    for (const auto& [code, n] : errors_)
      out += "ofq_http_errors_total{code=\"" + escape(code) + "\"} " + std::to_string(n) + "\n";
    collectors = collectors_;
  }
  // Collectors run outside the lock: they may query the job store.
  for (const auto& c : collectors) {
    out += "# HELP " + c.name + " " + c.help + "\n# TYPE " + c.name + " " + c.type + "\n";
    for (const auto& [labels, v] : c.collect())
      out += c.name + (labels.empty() ? "" : "{" + labels + "}") + " " + number(v) + "\n";
  }
  return out;
}

}  // namespace ofq::server
