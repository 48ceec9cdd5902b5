// What /metrics reports, in the Prometheus text format (version 0.0.4): requests and a
// latency histogram by route, method and status, bytes out by route, errors by code, and
// whatever gauges the server registers (open connections, jobs by state, index builds).
// Thread-safe; recording a request costs one mutex and a hash lookup.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ofq::server {

class Metrics {
public:
  /// Upper bounds of the latency buckets, in seconds (then +Inf).
  static constexpr double k_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,    1,     2.5,   5,    10};

  /// One finished request. `route` is the router's pattern ("/v1/samples/{sample_id}"),
  /// "unmatched" when none; `error_code` is API.md's code ("" when it succeeded).
  void record(std::string_view route, std::string_view method, unsigned status, double seconds,
              uint64_t bytes_out, std::string_view error_code);

  /// A gauge or counter computed at scrape time: `collect` returns (labels, value) pairs,
  /// labels already formatted (`state="done"`, or "" for none).
  using Samples = std::vector<std::pair<std::string, double>>;
  void add_collector(std::string name, std::string type, std::string help,
                     std::function<Samples()> collect);

  /// The whole exposition, ending in a newline.
  [[nodiscard]] std::string render() const;

  /// Escapes a label value (backslash, quote, newline).
  [[nodiscard]] static std::string escape(std::string_view v);

private:
  struct Series {
    uint64_t count = 0;
    double sum = 0;
    uint64_t buckets[std::size(k_buckets)] = {};
  };
  struct Collector {
    std::string name, type, help;
    std::function<Samples()> collect;
  };
  mutable std::mutex m_;
  // key: route \x1f method \x1f status
  std::map<std::string, Series, std::less<>> requests_;
  std::map<std::string, uint64_t, std::less<>> bytes_;   // by route
  std::map<std::string, uint64_t, std::less<>> errors_;  // by code
  std::vector<Collector> collectors_;
};

}  // namespace ofq::server
