// Jobs (API.md: POST /v1/jobs, and the original routes' results): accepted into the
// JobStore before the answer goes out, run by a few worker threads with ofq::Batch into a
// result file (temporary name, then renamed), progress (done/total) kept as they run.
// A restarted server re-queues every job that was queued or running, and fails those whose
// request is gone; results expire after a time (410), then are forgotten (404).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ofq/batch.hpp"
#include "ofq/server/http.hpp"
#include "ofq/server/job_store.hpp"

namespace ofq::server {

struct Service;

struct JobOptions {
  std::string db_path;     ///< --jobs-db; empty: a private temporary store, not durable
  unsigned threads = 1;    ///< jobs run at once (--job-threads)
  uint64_t max_jobs = 10'000;  ///< queued + running; more is 413 too_large (--max-jobs)
  uint64_t max_result_bytes = 4ull << 30;  ///< a larger result fails the job (413)
  std::chrono::milliseconds ttl{std::chrono::hours(24)};  ///< results kept this long
  std::chrono::milliseconds progress_every{250};  ///< progress written to the store this often
  unsigned batch_threads = 0;  ///< threads of one Batch; 0: the engine's default
  bool log = true;
};

class JobQueue {
public:
  /// Opens the store (throws std::runtime_error naming it); nothing runs before start().
  JobQueue(JobOptions opt, Service& svc);
  ~JobQueue();
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  /// Recovery (queued and running jobs of a previous run go back to the queue), then the
  /// workers and the expiry sweeper.
  void start();
  /// Stops the workers; a job interrupted while running goes back to `queued` in the store
  /// so that the next start runs it again. Idempotent.
  void stop();

  /// Stores the job (request body first) and queues it. `batch`, when given, is the
  /// already validated request (saves a second parse); the body is kept for a restart.
  /// Throws ApiError(413) when max_jobs are queued or running.
  void submit(JobRecord job, std::string_view body, std::shared_ptr<Batch> batch = nullptr);
  /// Runs a small job on the calling thread and stores it done (or failed); returns the
  /// error answer when it failed.
  std::optional<Response> run_inline(JobRecord job, Batch& batch);

  /// The job with its live progress; expired once its time has passed, even before the
  /// sweeper ran.
  [[nodiscard]] std::optional<JobRecord> get(std::string_view id);

  [[nodiscard]] JobStore& store() noexcept { return *store_; }
  [[nodiscard]] const JobOptions& options() const noexcept { return opt_; }
  [[nodiscard]] bool durable() const noexcept { return temp_dir_.empty(); }
  [[nodiscard]] uint64_t submitted() const noexcept { return submitted_; }
  [[nodiscard]] uint64_t recovered() const noexcept { return recovered_; }
  /// Jobs finished since start, by final state (done, failed).
  [[nodiscard]] std::map<JobState, uint64_t> finished() const;

private:
  /// Stores `job` as failed with the error answer `r`, and returns `r`.
  Response record_failure(JobRecord& job, Response r);
  struct Item {
    std::string id;
    std::shared_ptr<Batch> batch;
  };
  struct Live {
    std::atomic<uint64_t> done{0}, total{0};
  };
  void worker();
  void sweeper();
  void run(Item item);
  void finish(const std::string& id, JobState st);

  JobOptions opt_;
  Service& svc_;
  std::string temp_dir_;
  std::unique_ptr<JobStore> store_;

  std::mutex m_;
  std::condition_variable cv_;        ///< workers: a job was queued, or stopping
  std::condition_variable sweep_cv_;  ///< the expiry sweeper: stopping
  std::deque<Item> queue_;
  std::unordered_map<std::string, std::shared_ptr<Live>> live_;  ///< running jobs
  uint64_t running_ = 0;
  bool stopping_ = false, started_ = false;
  std::vector<std::thread> threads_;
  std::atomic<bool> cancel_{false};
  std::atomic<uint64_t> submitted_{0}, recovered_{0}, done_{0}, failed_{0};
};

/// POST /v1/jobs, GET /v1/jobs/{job_id}, GET /v1/jobs/{job_id}/result, and the original
/// routes POST query/fasta-sequences/ and GET query/result/{results_key} over the store
/// (added before the original group, so that these win).
void add_jobs_routes(Router& r, Service& s, JobQueue& q);

/// A response that sends the file at `path` (streamed when large); 410 if it is gone.
[[nodiscard]] Response file_response(const std::string& path, std::string content_type);

}  // namespace ofq::server
