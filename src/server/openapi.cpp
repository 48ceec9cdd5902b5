// /openapi.json: generated from the router's table, each route described by the entry of
// the table below with the same method and pattern. A route added without an entry here
// still appears (x-ofq-undocumented), and tests/unit/server/openapi_test.cpp fails on it;
// an entry whose route is gone is not emitted, and the test fails on that too.
#include <nlohmann/json.hpp>

#include "ofq/server/operations.hpp"

namespace ofq::server {

namespace {

using nlohmann::json;

struct Doc {
  const char* method;
  const char* pattern;  ///< as Router::routes() spells it (no trailing '/')
  const char* summary;
  const char* query;    ///< comma-separated query parameters
  const char* body;     ///< "" none; else a short description of the JSON body
  const char* ok;       ///< media type of the success answer
  const char* errors;   ///< comma-separated error statuses
};

// clang-format off
const Doc k_docs[] = {
  {"GET", "/query/list-fasta-files", "Original: the samples as CSV sample_id,sample_key", "", "", "text/csv", ""},
  {"GET", "/query/list-queryable-samples", "Original (0.1.6 name): the samples as CSV", "", "", "text/csv", ""},
  {"POST", "/query/fasta-sequences", "Original: submit a query; small ones are done before the answer",
   "", "{storage_key, positions, output_format: csv|fasta}", "application/json", "400,404,413,422,503"},
  {"GET", "/query/result/{results_key}", "Original: the result (404 while running, 410 expired, 500 failed)",
   "", "", "text/csv", "404,410,500"},
  {"GET", "/query/list-intergenic_regions/{sample_id}", "Original: intergenic regions by the original's rule",
   "page,page_size,min_length", "", "text/tab-separated-values", "400,404"},
  {"GET", "/query/get-sample-genes-ids/{sample_id}", "Original: genes and the original's gaps",
   "page,page_size", "", "text/tab-separated-values", "400,404"},
  {"GET", "/healthz", "200 once the catalog is loaded (needs no token)", "", "", "application/json", ""},
  {"GET", "/v1/samples", "The samples of the catalog", "", "", "application/json", ""},
  {"GET", "/v1/samples/{sample_id}", "One sample with its index details", "", "", "application/json", "400,404"},
  {"GET", "/v1/samples/{sample_id}/records", "The records of a sample", "page,page_size", "",
   "application/json", "400,404,503"},
  {"POST", "/v1/samples/{sample_id}/sequences", "Extract positions; the answer is streamed",
   "", "{positions, format: csv|tsv|fasta|json|ndjson, bounds: clamp|strict}", "text/csv",
   "400,404,413,422,503"},
  {"GET", "/v1/samples/{sample_id}/sequences/{sequence_id}", "One region; text/plain bases by default",
   "start,end,type,format,bounds", "", "text/plain", "400,404,413,503"},
  {"GET", "/v1/samples/{sample_id}/intergenic", "Intergenic regions (SEMANTICS.md)",
   "min_length,page,page_size,format", "", "application/json", "400,404,503"},
  {"GET", "/v1/samples/{sample_id}/genes", "The genes of a sample", "sequence,page,page_size,format", "",
   "application/json", "400,404"},
  {"POST", "/v1/sequences", "Extract positions named by refget digest across the catalog", "",
   "{positions: [{digest, start, end, type}], format}", "text/csv", "400,404,413,422,503"},
  {"POST", "/v1/jobs", "Submit a job (202): stored durably before the answer", "",
   "{sample_id, positions, format, bounds}", "application/json", "400,404,413,500"},
  {"GET", "/v1/jobs/{job_id}", "A job's status: queued|running|done|failed|expired, done, total, error", "", "",
   "application/json", "404"},
  {"GET", "/v1/jobs/{job_id}/result",
   "A job's result (409 while not done, 410 once expired; a failed job answers its error: 413, 422 or 500)", "", "",
   "text/csv", "404,409,410,413,422,500"},
  {"GET", "/metrics", "Prometheus text format: requests, latencies, bytes, jobs, errors, index builds", "", "",
   "text/plain", ""},
  {"GET", "/openapi.json", "This document", "", "", "application/json", ""},
  {"GET", "/sequence/service-info", "refget v2 service-info", "", "", "application/json", ""},
  {"OPTIONS", "/sequence/service-info", "refget CORS preflight", "", "", "", ""},
  {"GET", "/sequence/{id}/metadata", "refget v2 metadata of a sequence", "", "", "application/json", "404"},
  {"OPTIONS", "/sequence/{id}/metadata", "refget CORS preflight", "", "", "", ""},
  {"GET", "/sequence/{id}", "refget v2 sequence (Range or start/end)", "start,end", "", "text/plain",
   "400,404,416"},
  {"OPTIONS", "/sequence/{id}", "refget CORS preflight", "", "", "", ""},
};
// clang-format on

const char* reason(int status) {
  switch (status) {
    case 400: return "bad_request: malformed JSON or parameters";
    case 401: return "unauthorized: no valid bearer token";
    case 404: return "unknown sample, sequence, job or route";
    case 409: return "not_done: the job is still queued or running";
    case 410: return "expired: the result is no longer kept";
    case 413: return "too_large: over a limit (named in the message)";
    case 416: return "range not satisfiable";
    case 422: return "bad_positions: every bad row listed";
    case 429: return "rate_limited: see Retry-After";
    case 500: return "internal, or the job failed";
    case 503: return "not_ready: the sample is being indexed (Retry-After)";
  }
  return "error";
}

std::vector<std::string> split(const char* s) {
  std::vector<std::string> out;
  std::string cur;
  for (const char* p = s; *p; ++p) {
    if (*p == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(*p);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string openapi_document(const RouteList& routes) {
  json error_schema = {{"type", "object"},
                       {"required", {"error", "message"}},
                       {"properties",
                        {{"error", {{"type", "string"}}},
                         {"message", {{"type", "string"}}},
                         {"rows", {{"type", "array"},
                                   {"items", {{"type", "object"},
                                              {"properties", {{"row", {{"type", "integer"}}},
                                                              {"id", {{"type", "string"}}},
                                                              {"reason", {{"type", "string"}}}}}}}}}}}};
  json doc = {{"openapi", "3.0.3"},
              {"info", {{"title", "ofq (oceania fasta query)"},
                        {"version", "0.1.0"},
                        {"description", "FASTA subsequences over HTTP: the original oceania routes and /v1. "
                                        "See docs/http_api.md and docs/operations.md."}}},
              {"paths", json::object()},
              {"components",
               {{"schemas", {{"Error", error_schema}}},
                {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}},
              {"security", json::array({json{{"bearer", json::array()}}})}};
  auto& paths = doc["paths"];
  for (const auto& [method, pattern] : routes) {
    const Doc* d = nullptr;
    for (const auto& e : k_docs)
      if (method == e.method && pattern == e.pattern) d = &e;
    // The original client asks for these paths with a trailing '/'.
    std::string path = pattern.rfind("/query/", 0) == 0 && pattern.find('{') == std::string::npos
                           ? pattern + "/"
                           : pattern;
    json op;
    op["summary"] = d ? d->summary : "undocumented route";
    if (!d) op["x-ofq-undocumented"] = true;
    op["operationId"] = lower(method) + pattern;
    json params = json::array();
    for (size_t i = pattern.find('{'); i != std::string::npos; i = pattern.find('{', i + 1)) {
      size_t j = pattern.find('}', i);
      params.push_back({{"name", pattern.substr(i + 1, j - i - 1)}, {"in", "path"}, {"required", true},
                        {"schema", {{"type", "string"}}}});
    }
    if (d)
      for (const auto& q : split(d->query))
        params.push_back({{"name", q}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}});
    if (!params.empty()) op["parameters"] = params;
    if (d && *d->body)
      op["requestBody"] = {{"required", true},
                           {"description", d->body},
                           {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    json responses;
    unsigned ok_status = method == "OPTIONS" ? 204 : (pattern == "/v1/jobs" && method == "POST") ? 202 : 200;
    json ok = {{"description", "success"}};
    if (d && *d->ok) ok["content"] = {{d->ok, {{"schema", {{"type", "string"}}}}}};
    responses[std::to_string(ok_status)] = ok;
    json err_content = {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}};
    std::vector<std::string> errs = d ? split(d->errors) : std::vector<std::string>{};
    if (pattern != "/healthz" && method != "OPTIONS") {
      errs.push_back("401");
      errs.push_back("429");
    }
    for (const auto& e : errs)
      responses[e] = {{"description", reason(std::stoi(e))}, {"content", err_content}};
    op["responses"] = responses;
    if (pattern == "/healthz" || method == "OPTIONS") op["security"] = json::array();
    paths[path][lower(method)] = op;
  }
  return doc.dump(1) + "\n";
}

}  // namespace ofq::server
