// The Prometheus exposition, byte for byte for one request, and collectors.
#include <gtest/gtest.h>

#include "ofq/server/metrics.hpp"

namespace ofq::server {
namespace {

TEST(Metrics, OneRequestExactText) {
  Metrics m;
  m.record("/v1/samples/{sample_id}", "GET", 404, 0.003, 120, "unknown_sample");
  m.add_collector("ofq_jobs", "gauge", "Jobs by state.", [] {
    return Metrics::Samples{{"state=\"done\"", 2}, {"state=\"queued\"", 0}};
  });
  const std::string labels = "route=\"/v1/samples/{sample_id}\",method=\"GET\",status=\"404\"";
  std::string expected =
      "# HELP ofq_http_requests_total HTTP requests answered, by route, method and status.\n"
      "# TYPE ofq_http_requests_total counter\n"
      "ofq_http_requests_total{" + labels + "} 1\n"
      "# HELP ofq_http_request_duration_seconds Time from the request to the last byte of its answer.\n"
      "# TYPE ofq_http_request_duration_seconds histogram\n";
  const char* les[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
                       "0.1",    "0.25",  "0.5",    "1",     "2.5",   "5",    "10"};
  const int counts[] = {0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  for (int i = 0; i < 14; ++i)
    expected += "ofq_http_request_duration_seconds_bucket{" + labels + ",le=\"" + les[i] + "\"} " +
                std::to_string(counts[i]) + "\n";
  expected += "ofq_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} 1\n";
  expected += "ofq_http_request_duration_seconds_sum{" + labels + "} 0.003\n";
  expected += "ofq_http_request_duration_seconds_count{" + labels + "} 1\n";
  expected +=
      "# HELP ofq_http_response_bytes_total Bytes of answer bodies sent (after compression), by route.\n"
      "# TYPE ofq_http_response_bytes_total counter\n"
      "ofq_http_response_bytes_total{route=\"/v1/samples/{sample_id}\"} 120\n"
      "# HELP ofq_http_errors_total Error answers, by API.md error code.\n"
      "# TYPE ofq_http_errors_total counter\n"
      "ofq_http_errors_total{code=\"unknown_sample\"} 1\n"
      "# HELP ofq_jobs Jobs by state.\n"
      "# TYPE ofq_jobs gauge\n"
      "ofq_jobs{state=\"done\"} 2\n"
      "ofq_jobs{state=\"queued\"} 0\n";
  EXPECT_EQ(m.render(), expected);
}

TEST(Metrics, CountsAccumulate) {
  Metrics m;
  for (int i = 0; i < 3; ++i) m.record("/healthz", "GET", 200, 0.0001, 10, "");
  std::string t = m.render();
  EXPECT_NE(t.find("ofq_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(t.find("ofq_http_response_bytes_total{route=\"/healthz\"} 30\n"), std::string::npos);
  EXPECT_NE(t.find("le=\"0.0005\"} 3\n"), std::string::npos);
}

TEST(Metrics, EscapesLabels) { EXPECT_EQ(Metrics::escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd"); }

}  // namespace
}  // namespace ofq::server
