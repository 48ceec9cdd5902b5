// The job workers: each takes the oldest queued job, waits for its sample's index, builds
// the Batch from the stored request (or takes the one the POST already validated), writes
// the answer to ID.result.tmp, renames it, and marks the job done.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "handlers/common.hpp"
#include "ofq/server/jobs.hpp"
#include "ofq/server/service.hpp"

namespace ofq::server {

namespace {

/// Thrown through Batch::write by the sink when the queue stops: the job goes back to
/// queued, it has not failed.
struct Cancelled {};

/// The result file: counts bytes, refuses to grow past the limit, stops when cancelled.
class ResultSink final : public OutputSink {
public:
  ResultSink(int fd, uint64_t limit, const std::atomic<bool>& cancel) : fd_(fd), limit_(limit), cancel_(cancel) {}
  void write(std::string_view bytes) override {
    if (cancel_) throw Cancelled{};
    bytes_ += bytes.size();
    if (bytes_ > limit_)
      throw ApiError(413, "too_large",
                     "the result is over the limit of " + std::to_string(limit_) +
                         " bytes a job (--max-answer-bytes); split the positions into smaller jobs");
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        throw Error(Errc::io_error, "cannot write the result of a job: " + std::string(std::strerror(errno)));
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  [[nodiscard]] uint64_t bytes() const noexcept { return bytes_; }

private:
  int fd_;
  uint64_t limit_;
  const std::atomic<bool>& cancel_;
  uint64_t bytes_ = 0;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing");
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

WriterOptions writer_options(const JobRecord& job, const Batch& batch) {
  WriterOptions wo;
  // The original routes answer exactly what the original did: no name column.
  if (job.kind != "original") wo.with_names = batch.with_names();
  return wo;
}

}  // namespace

JobQueue::JobQueue(JobOptions opt, Service& svc) : opt_(std::move(opt)), svc_(svc) {
  std::string db = opt_.db_path;
  if (db.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/ofq-jobs-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary job store: " + std::string(std::strerror(errno)));
    temp_dir_ = tmpl;
    db = temp_dir_ + "/jobs.db";
  }
  store_ = std::make_unique<JobStore>(db);
}

JobQueue::~JobQueue() {
  stop();
  store_.reset();
  if (!temp_dir_.empty()) {
    std::error_code ec;  // a temporary store that cannot be removed only wastes /tmp
    std::filesystem::remove_all(temp_dir_, ec);
  }
}

void JobQueue::start() {
  {
    std::lock_guard lock(m_);
    if (started_) return;
    started_ = true;
  }
  // Recovery: whatever was accepted and not finished runs again, from the start.
  uint64_t requeued = 0, lost = 0;
  for (auto& job : store_->unfinished()) {
    if (!std::filesystem::exists(store_->request_path(job.id))) {
      auto body = error_response(500, "internal",
                                 "the server restarted and the request of this job was lost; send it again").body;
      store_->set_failed(job.id, 500, body, JobStore::now_ms() + opt_.ttl.count());
      ++lost;
      continue;
    }
    store_->set_queued(job.id);
    std::lock_guard lock(m_);
    queue_.push_back(Item{job.id, nullptr});
    ++requeued;
  }
  recovered_ = requeued;
  if (opt_.log && (requeued || lost))
    std::fprintf(stderr, "ofq serve: jobs: %llu re-queued after a restart, %llu failed (request lost)\n",
                 static_cast<unsigned long long>(requeued), static_cast<unsigned long long>(lost));
  unsigned n = std::max(1u, opt_.threads);
  for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { worker(); });
  threads_.emplace_back([this] { sweeper(); });
}

void JobQueue::stop() {
  {
    std::lock_guard lock(m_);
    if (stopping_) return;
    stopping_ = true;
  }
  cancel_ = true;
  cv_.notify_all();
  sweep_cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void JobQueue::submit(JobRecord job, std::string_view body, std::shared_ptr<Batch> batch) {
  {
    std::lock_guard lock(m_);
    if (queue_.size() + running_ >= opt_.max_jobs) {
      ApiError e(413, "too_large",
                 std::to_string(queue_.size() + running_) + " jobs are queued or running, the limit is " +
                     std::to_string(opt_.max_jobs) + " (--max-jobs); retry later");
      e.headers.emplace_back("Retry-After", "5");
      throw e;
    }
  }
  job.state = JobState::queued;
  if (!job.created_ms) job.created_ms = JobStore::now_ms();
  store_->insert(job, body);  // durable from here on
  ++submitted_;
  {
    std::lock_guard lock(m_);
    queue_.push_back(Item{job.id, std::move(batch)});
  }
  cv_.notify_one();
}

Response JobQueue::record_failure(JobRecord& job, Response r) {
  job.state = JobState::failed;
  job.error_status = r.status;
  job.error_json = r.body;
  job.finished_ms = JobStore::now_ms();
  job.expires_ms = job.finished_ms + opt_.ttl.count();
  store_->insert_done(job);
  ++failed_;
  return r;
}

std::optional<Response> JobQueue::run_inline(JobRecord job, Batch& batch) {
  auto fmt = parse_output_format(job.format).value_or(OutputFormat::csv);
  job.created_ms = job.created_ms ? job.created_ms : JobStore::now_ms();
  job.total = batch.size();
  ++submitted_;
  try {
    StringSink sink;
    auto w = make_writer(fmt, sink, writer_options(job, batch));
    batch.write(*w);
    if (sink.data.size() > opt_.max_result_bytes)
      throw ApiError(413, "too_large",
                     "the answer is over the limit of " + std::to_string(opt_.max_result_bytes) +
                         " bytes a request (--max-answer-bytes)");
    // Finished before the answer goes out: a crash now loses nothing that was promised,
    // so the file is not fsynced (the page cache survives a killed process).
    write_file_atomically(store_->result_path(job.id), sink.data, false);
    job.state = JobState::done;
    job.done = job.total;
    job.result_bytes = sink.data.size();
    job.content_type = std::string(content_type(fmt));
    job.finished_ms = JobStore::now_ms();
    job.expires_ms = job.finished_ms + opt_.ttl.count();
    store_->insert_done(job);
    ++done_;
    return std::nullopt;
  } catch (const ApiError& e) {
    return record_failure(job, error_response(e));
  } catch (const Error& e) {
    return record_failure(job, svc_.engine_error(e, svc_.catalog.find(job.sample_id)));
  }
}

std::optional<JobRecord> JobQueue::get(std::string_view id) {
  auto job = store_->get(id);
  if (!job) return job;
  if (job->state == JobState::running) {
    std::lock_guard lock(m_);
    if (auto it = live_.find(job->id); it != live_.end()) {
      job->done = it->second->done;
      job->total = it->second->total;
    }
  }
  if ((job->state == JobState::done || job->state == JobState::failed) && job->expires_ms <= JobStore::now_ms())
    job->state = JobState::expired;
  return job;
}

std::map<JobState, uint64_t> JobQueue::finished() const {
  return {{JobState::done, done_.load()}, {JobState::failed, failed_.load()}};
}

void JobQueue::worker() {
  for (;;) {
    Item item;
    {
      std::unique_lock lock(m_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    run(std::move(item));
    std::lock_guard lock(m_);
    --running_;
  }
}

void JobQueue::sweeper() {
  // Often enough that a result is 410 soon after its time; expired rows are kept as
  // tombstones for nine more TTLs, then forgotten.
  auto every = std::clamp<std::chrono::milliseconds>(opt_.ttl / 4, std::chrono::milliseconds(100),
                                                     std::chrono::milliseconds(30'000));
  std::unique_lock lock(m_);
  while (!stopping_) {
    sweep_cv_.wait_for(lock, every, [&] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    try {
      int64_t now = JobStore::now_ms();
      store_->expire(now, now - 9 * opt_.ttl.count());
    } catch (const std::exception& e) {
      if (opt_.log) std::fprintf(stderr, "ofq serve: jobs: expiry failed: %s\n", e.what());
    }
    lock.lock();
  }
}

void JobQueue::finish(const std::string& id, JobState st) {
  (st == JobState::done ? done_ : failed_)++;
  std::lock_guard lock(m_);
  live_.erase(id);
}

void JobQueue::run(Item item) {
  const std::string id = item.id;
  auto job = store_->get(id);
  if (!job || (job->state != JobState::queued && job->state != JobState::running)) return;
  auto fail_with = [&](const Response& r) {
    store_->set_failed(id, r.status, r.body, JobStore::now_ms() + opt_.ttl.count());
    finish(id, JobState::failed);
  };
  std::string tmp = store_->result_path(id) + ".tmp";
  int fd = -1;
  SampleEntry* entry = nullptr;
  try {
    SampleEntry& e = svc_.entry(job->sample_id);
    entry = &e;
    // A restarted server is still indexing: the job waits for its sample.
    while (e.status() == IndexStatus::building) {
      if (cancel_) throw Cancelled{};
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto sample = svc_.ready(e);
    std::shared_ptr<Batch> batch = std::move(item.batch);
    if (!batch) {
      std::string body;
      try {
        body = read_file(store_->request_path(id));
      } catch (const std::exception&) {
        throw ApiError(500, "internal", "the request of this job was lost; send it again");
      }
      batch = detail::batch_from_body(svc_, e, sample, body, job->strict);
    }
    const uint64_t total = batch->size();
    auto live = std::make_shared<Live>();
    live->total = total;
    {
      std::lock_guard lock(m_);
      live_[id] = live;
    }
    store_->set_running(id, total);
    auto fmt = parse_output_format(job->format);
    if (!fmt) throw ApiError(400, "bad_request", "format '" + job->format + "' is not known");
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(Errc::io_error, "cannot create the result file of a job: " + std::string(std::strerror(errno)));
    ResultSink sink(fd, opt_.max_result_bytes, cancel_);
    auto writer = make_writer(*fmt, sink, writer_options(*job, *batch));
    auto last = std::chrono::steady_clock::now();
    batch->write(*writer, [&](uint64_t done, uint64_t tot) {
      live->done = done;
      live->total = tot;
      auto now = std::chrono::steady_clock::now();
      if (now - last >= opt_.progress_every) {
        last = now;
        store_->set_progress(id, done, tot);
      }
    });
    // Not fsynced, like the store's commits (synchronous=NORMAL): a killed process loses
    // nothing, a power cut may (docs/operations.md).
    if (::close(fd) != 0) {
      fd = -1;
      throw Error(Errc::io_error, "cannot write the result of a job: " + std::string(std::strerror(errno)));
    }
    fd = -1;
    if (::rename(tmp.c_str(), store_->result_path(id).c_str()) != 0)
      throw Error(Errc::io_error, "cannot rename the result of a job: " + std::string(std::strerror(errno)));
    store_->set_done(id, sink.bytes(), content_type(*fmt), JobStore::now_ms() + opt_.ttl.count());
    finish(id, JobState::done);
    return;
  } catch (const Cancelled&) {
    // Stopping: the job is kept, and runs again at the next start.
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    store_->set_queued(id);
    std::lock_guard lock(m_);
    live_.erase(id);
    return;
  } catch (const ApiError& e) {
    fail_with(error_response(e));
  } catch (const Error& e) {
    fail_with(svc_.engine_error(e, entry));
  } catch (const std::exception&) {
    fail_with(error_response(500, "internal", "internal error while running the job"));
  }
  if (fd >= 0) ::close(fd);
  ::unlink(tmp.c_str());
}

}  // namespace ofq::server
