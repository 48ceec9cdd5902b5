// The durable store of jobs (API.md: "a job that was accepted is never lost"): one SQLite
// database in WAL mode holding a row per job, and a folder beside it (`DB.files/`) holding
// each job's request body (`ID.request`) and its result (`ID.result`), both written to a
// temporary name and renamed, so that a reader never sees half a file.
//
// Thread-safe: one connection, serialised by a mutex. Times are milliseconds since the
// Unix epoch. Every method throws std::runtime_error naming the database on an SQLite
// failure.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace ofq::server {

enum class JobState { queued, running, done, failed, expired };
[[nodiscard]] const char* to_string(JobState s) noexcept;  ///< "queued" ... "expired"
[[nodiscard]] std::optional<JobState> parse_job_state(std::string_view s) noexcept;

/// What a job is: `v1` (POST /v1/jobs) or `original` (POST query/fasta-sequences/).
struct JobRecord {
  std::string id;  ///< 128 random bits, hex
  std::string kind = "v1";
  std::string sample_id;
  std::string format = "csv";  ///< an ofq::OutputFormat word
  bool strict = false;         ///< bounds: strict instead of clamp
  JobState state = JobState::queued;
  uint64_t done = 0, total = 0;
  unsigned error_status = 0;  ///< HTTP status of `error_json` when failed
  std::string error_json;     ///< the API.md error body, when failed
  std::string content_type;   ///< of the result, once done
  uint64_t result_bytes = 0;
  int64_t created_ms = 0, finished_ms = 0;
  int64_t expires_ms = 0;  ///< when finished: the result expires then (410 after)
  unsigned attempts = 0;   ///< runs started (a restart counts one more)
};

class JobStore {
public:
  /// Opens or creates `db_path` (WAL mode) and its `db_path.files/` folder.
  explicit JobStore(std::string db_path);
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::string request_path(std::string_view id) const;
  [[nodiscard]] std::string result_path(std::string_view id) const;

  /// A fresh id (128 random bits, hex).
  [[nodiscard]] static std::string new_id();
  [[nodiscard]] static int64_t now_ms();

  /// Writes `body` to request_path(id) atomically (temporary file, fsync, rename), then
  /// inserts the row: once this returns, the job survives a SIGKILL.
  void insert(const JobRecord& job, std::string_view body);
  /// Inserts a job that is already done (its result file in place): small original queries.
  void insert_done(const JobRecord& job);

  [[nodiscard]] std::optional<JobRecord> get(std::string_view id);
  /// Jobs queued or running, oldest first (recovery after a restart).
  [[nodiscard]] std::vector<JobRecord> unfinished();

  void set_running(std::string_view id, uint64_t total);  ///< also counts an attempt
  void set_progress(std::string_view id, uint64_t done, uint64_t total);
  void set_queued(std::string_view id);  ///< back in the queue (stopped while running)
  void set_done(std::string_view id, uint64_t result_bytes, std::string_view content_type,
                int64_t expires_ms);
  void set_failed(std::string_view id, unsigned status, std::string_view error_json,
                  int64_t expires_ms);

  /// Finished jobs whose time has come turn `expired` and lose their files; expired rows
  /// older than `forget_before_ms` are deleted (404 after that). Returns how many expired.
  uint64_t expire(int64_t now_ms, int64_t forget_before_ms);

  /// Jobs by state, for /metrics.
  [[nodiscard]] std::map<JobState, uint64_t> counts();

private:
  void exec(const char* sql);
  std::string path_, files_;
  int lock_fd_ = -1;  ///< flock'ed `path.lock`: one server per store
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

/// Writes `bytes` to `path` through `path.tmp`, fsync and rename (used for results too).
void write_file_atomically(const std::string& path, std::string_view bytes, bool sync);

}  // namespace ofq::server
