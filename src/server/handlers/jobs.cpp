// Jobs over HTTP (API.md): POST /v1/jobs, GET /v1/jobs/{job_id}, GET /v1/jobs/{job_id}/result,
// and the original routes POST query/fasta-sequences/ + GET query/result/{results_key}
// backed by the same durable store: small original queries are answered before the POST
// returns (the 0.1.x client polls every 10 s), large ones become jobs that its polling
// finds done.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "handlers/common.hpp"
#include "ofq/server/jobs.hpp"
#include "ofq/server/positions_json.hpp"

namespace ofq::server {

namespace {

using nlohmann::json;

std::string iso_time(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

bool bounds_strict(const BodyFields& f) {
  auto it = f.strings.find("bounds");
  if (it == f.strings.end() || it->second == "clamp") return false;
  if (it->second == "strict") return true;
  throw ApiError(400, "bad_request", "bounds '" + it->second.substr(0, 40) + "' is not one of clamp, strict");
}

Response post_job(Service& svc, JobQueue& q, const Request& req) {
  BodyFields f = read_body_fields(req.body, {"sample_id", "format", "bounds"}, true);
  auto sid = f.strings.find("sample_id");
  if (sid == f.strings.end())
    throw ApiError(400, "bad_request", "the body has no sample_id; GET /v1/samples lists them");
  if (!f.has_positions)
    throw ApiError(400, "bad_request",
                   "the body has no positions: {\"sample_id\": S, \"positions\": [[id, start, end(, type)], ...]}");
  std::string fmt = "csv";
  if (auto it = f.strings.find("format"); it != f.strings.end()) {
    if (!parse_output_format(it->second))
      throw ApiError(400, "bad_request",
                     "format '" + it->second.substr(0, 40) + "' is not one of csv, tsv, fasta, json, ndjson");
    fmt = it->second;
  }
  bool strict = bounds_strict(f);
  if (f.positions > svc.limits.max_positions) too_many_positions(svc.limits.max_positions);
  SampleEntry& e = svc.entry(sid->second);
  if (e.status() == IndexStatus::failed) (void)svc.ready(e);  // 500 naming why, at once
  // Positions are read by the worker: accepting a million of them takes milliseconds, and
  // a bad row fails the job with every bad row listed (GET /v1/jobs/{id}).
  JobRecord job;
  job.id = JobStore::new_id();
  job.kind = "v1";
  job.sample_id = e.sample_id;
  job.format = fmt;
  job.strict = strict;
  job.total = f.positions;  // known at once; the rows are checked by the worker
  q.submit(job, req.body);
  json j = {{"job_id", job.id}, {"status_url", "/v1/jobs/" + job.id},
            {"result_url", "/v1/jobs/" + job.id + "/result"}};
  Response r = json_response(j.dump() + "\n", 202);
  r.headers.emplace_back("Location", "/v1/jobs/" + job.id);
  return r;
}

JobRecord job_or_404(JobQueue& q, const std::string& id) {
  auto job = q.get(id);
  if (!job)
    throw ApiError(404, "not_found",
                   "no job '" + id.substr(0, 100) + "' (unknown, or expired long ago)");
  return *job;
}

Response get_job(JobQueue& q, const Request& req) {
  JobRecord job = job_or_404(q, req.param("job_id"));
  json j;
  j["job_id"] = job.id;
  j["status"] = to_string(job.state);
  j["sample_id"] = job.sample_id;
  j["format"] = job.format;
  j["done"] = job.done;
  j["total"] = job.total;
  j["error"] = nullptr;
  if (job.state == JobState::failed) {
    json err = json::parse(job.error_json, nullptr, false);
    j["error"] = err.is_discarded() ? json{{"error", "internal"}, {"message", "the job failed"}} : err;
    j["error"]["status"] = job.error_status;
  }
  j["created_at"] = iso_time(job.created_ms);
  j["finished_at"] = job.finished_ms ? json(iso_time(job.finished_ms)) : json(nullptr);
  j["expires_at"] = job.expires_ms ? json(iso_time(job.expires_ms)) : json(nullptr);
  j["result_url"] = "/v1/jobs/" + job.id + "/result";
  return json_response(j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
}

Response failed_answer(const JobRecord& job) {
  Response r = json_response(job.error_json, job.error_status ? job.error_status : 500);
  return r;
}

Response get_result(JobQueue& q, const Request& req) {
  JobRecord job = job_or_404(q, req.param("job_id"));
  switch (job.state) {
    case JobState::queued:
    case JobState::running:
      return error_response(409, "not_done",
                            "job " + job.id + " is " + to_string(job.state) + " (" + std::to_string(job.done) +
                                " of " + std::to_string(job.total) + " rows); poll GET /v1/jobs/" + job.id);
    case JobState::failed: return failed_answer(job);
    case JobState::expired:
      return error_response(410, "expired", "the result of job " + job.id + " has expired; submit the job again");
    case JobState::done: break;
  }
  return file_response(q.store().result_path(job.id), job.content_type);
}

SampleEntry& entry_by_key(Service& svc, const std::string& key) {
  if (std::string p = svc.catalog.key_problem(key); !p.empty()) throw ApiError(400, "bad_request", p);
  if (SampleEntry* e = svc.catalog.find_by_key(key)) return *e;
  if (SampleEntry* e = svc.catalog.find(key)) return *e;  // the 0.1.x client may send an id
  throw ApiError(404, "unknown_sample",
                 "no sample with storage_key '" + key.substr(0, 200) +
                     "' in this catalog; GET query/list-fasta-files/ lists them");
}

Response original_post(Service& svc, JobQueue& q, const Request& req) {
  BodyFields f = read_body_fields(req.body, {"storage_key", "output_format"});
  auto key = f.strings.find("storage_key");
  if (key == f.strings.end())
    throw ApiError(400, "bad_request", "the body has no storage_key; GET query/list-fasta-files/ lists the keys");
  if (!f.has_positions)
    throw ApiError(400, "bad_request", "the body has no positions: [[id, start, end(, type)], ...]");
  std::string fmt = "csv";
  if (auto o = f.strings.find("output_format"); o != f.strings.end()) fmt = o->second;
  if (fmt != "csv" && fmt != "fasta")
    throw ApiError(400, "bad_request", "output_format '" + fmt.substr(0, 40) + "' is not one of csv, fasta");
  SampleEntry& e = entry_by_key(svc, key->second);
  auto sample = svc.ready(e);
  // Bad rows are a 4xx straight from the POST: the original client then fails at once.
  auto batch = detail::batch_from_body(svc, e, sample, req.body, false);
  JobRecord job;
  job.id = JobStore::new_id();
  job.kind = "original";
  job.sample_id = e.sample_id;
  job.format = fmt;
  if (batch->size() <= svc.limits.inline_positions) {
    if (auto failed = q.run_inline(job, *batch)) return *failed;
  } else {
    job.total = batch->size();
    q.submit(job, req.body, batch);
  }
  json j = {{"results_key", job.id}};
  return json_response(j.dump() + "\n");
}

Response original_result(JobQueue& q, const Request& req) {
  const std::string& key = req.param("results_key");
  auto job = q.get(key);
  if (!job) return error_response(404, "not_found", "no result '" + key.substr(0, 100) + "'");
  switch (job->state) {
    case JobState::queued:
    case JobState::running:
      // The original answers 404 until the result object exists; its client polls again.
      return error_response(404, "not_done", "result " + key + " is not ready yet; poll again");
    case JobState::failed: return failed_answer(*job);
    case JobState::expired:
      return error_response(410, "expired", "result " + key + " has expired; send the query again");
    case JobState::done: break;
  }
  return file_response(q.store().result_path(job->id), job->content_type);
}

}  // namespace

Response file_response(const std::string& path, std::string type) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return error_response(410, "expired", "this result is no longer stored; send the query again");
  struct stat st{};
  ::fstat(fd, &st);
  Response r;
  r.content_type = std::move(type);
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size <= (1u << 20)) {
    r.body.resize(size);
    size_t got = 0;
    while (got < size) {
      ssize_t n = ::pread(fd, r.body.data() + got, size - got, static_cast<off_t>(got));
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    ::close(fd);
    r.body.resize(got);
    return r;
  }
  // Large: streamed from the open descriptor, which stays readable even if the sweeper
  // unlinks the file meanwhile.
  auto owned = std::shared_ptr<int>(new int(fd), [](int* p) {
    ::close(*p);
    delete p;
  });
  r.stream = [owned, size](OutputSink& sink) {
    std::string buf(1u << 18, '\0');
    uint64_t off = 0;
    while (off < size) {
      ssize_t n = ::pread(*owned, buf.data(), std::min<uint64_t>(buf.size(), size - off), static_cast<off_t>(off));
      if (n <= 0) throw Error(Errc::io_error, "cannot read a stored result");
      sink.write(std::string_view(buf.data(), static_cast<size_t>(n)));
      off += static_cast<uint64_t>(n);
    }
  };
  return r;
}

void add_jobs_routes(Router& r, Service& s, JobQueue& q) {
  r.add("POST", "/v1/jobs", [&s, &q](Request& req) { return post_job(s, q, req); });
  r.add("GET", "/v1/jobs/{job_id}", [&q](Request& req) { return get_job(q, req); });
  r.add("GET", "/v1/jobs/{job_id}/result", [&q](Request& req) { return get_result(q, req); });
  r.add("POST", "/query/fasta-sequences/", [&s, &q](Request& req) { return original_post(s, q, req); });
  r.add("GET", "/query/result/{results_key}", [&q](Request& req) { return original_result(q, req); });
}

}  // namespace ofq::server
