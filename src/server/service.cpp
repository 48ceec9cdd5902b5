#include "ofq/server/service.hpp"

#include <cstdio>

#include "ofq/server/error_status.hpp"

namespace ofq::server {

SampleEntry& Service::entry(std::string_view sample_id) const {
  if (std::string p = lexical_key_problem(sample_id, "sample id"); !p.empty())
    throw ApiError(400, "bad_request", p);
  SampleEntry* e = catalog.find(sample_id);
  if (!e)
    throw ApiError(404, "unknown_sample",
                   "no sample '" + std::string(sample_id.substr(0, 200)) +
                       "' in this catalog; GET /v1/samples lists them");
  return *e;
}

std::shared_ptr<const Sample> Service::ready(SampleEntry& e) const {
  switch (e.status()) {
    case IndexStatus::ready:
      if (auto s = e.sample()) return s;
      [[fallthrough]];
    case IndexStatus::building: {
      ApiError err(503, "not_ready",
                   "sample '" + e.sample_id + "' is being indexed; retry in a few seconds");
      err.headers.emplace_back("Retry-After", "2");
      throw err;
    }
    case IndexStatus::failed:
      throw ApiError(500, "internal",
                     "sample '" + e.sample_id + "' cannot be served: " + e.error());
  }
  throw ApiError(500, "internal", "sample in an unknown state");
}

Response Service::engine_error(const Error& err, SampleEntry* e) const {
  auto kind = http_error_kind(err.code());
  std::string msg = catalog.scrub(err.what());
  if (e && err.code() == Errc::corrupt_input) {
    catalog.recheck(*e);
    msg += " (the sample is being checked again)";
  }
  std::vector<RowError> rows = err.rows();
  for (auto& r : rows) r.reason = catalog.scrub(r.reason);
  return error_response(kind.status, kind.code, msg, rows);
}

}  // namespace ofq::server
