// SQLite schema of the job store (one table):
//   jobs(id TEXT PRIMARY KEY, kind, sample_id, format, strict, state, done, total,
//        error_status, error_json, content_type, result_bytes, created_ms, finished_ms,
//        expires_ms, attempts)
// WAL mode with synchronous=NORMAL: a commit is in the WAL before the call returns, so a
// killed process (SIGKILL) loses nothing; only a power cut can lose the last commits
// (docs/operations.md says so).
#include "ofq/server/job_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace ofq::server {

namespace {

/// A prepared statement, finalized on scope exit.
class Stmt {
public:
  Stmt(sqlite3* db, const char* sql, const std::string& where) : db_(db), where_(where) {
    if (sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) != SQLITE_OK) fail("prepare");
  }
  ~Stmt() { sqlite3_finalize(st_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::string_view s) {
    sqlite3_bind_text(st_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  /// True while there is a row.
  bool step() {
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail("step");
    return false;
  }
  void run() { (void)step(); }
  [[nodiscard]] std::string text(int col) const {
    auto* p = sqlite3_column_text(st_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(st_, col)) : std::string();
  }
  [[nodiscard]] int64_t integer(int col) const { return sqlite3_column_int64(st_, col); }

private:
  [[noreturn]] void fail(const char* what) const {
    throw std::runtime_error("job store " + where_ + ": " + what + ": " + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
  const std::string& where_;
};

constexpr const char* k_columns =
    "id, kind, sample_id, format, strict, state, done, total, error_status, error_json, "
    "content_type, result_bytes, created_ms, finished_ms, expires_ms, attempts";

JobRecord read_row(const Stmt& s) {
  JobRecord j;
  j.id = s.text(0);
  j.kind = s.text(1);
  j.sample_id = s.text(2);
  j.format = s.text(3);
  j.strict = s.integer(4) != 0;
  j.state = parse_job_state(s.text(5)).value_or(JobState::failed);
  j.done = static_cast<uint64_t>(s.integer(6));
  j.total = static_cast<uint64_t>(s.integer(7));
  j.error_status = static_cast<unsigned>(s.integer(8));
  j.error_json = s.text(9);
  j.content_type = s.text(10);
  j.result_bytes = static_cast<uint64_t>(s.integer(11));
  j.created_ms = s.integer(12);
  j.finished_ms = s.integer(13);
  j.expires_ms = s.integer(14);
  j.attempts = static_cast<unsigned>(s.integer(15));
  return j;
}

void write_all(int fd, std::string_view bytes, const std::string& name) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot write " + name + ": " + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

const char* to_string(JobState s) noexcept {
  switch (s) {
    case JobState::queued: return "queued";
    case JobState::running: return "running";
    case JobState::done: return "done";
    case JobState::failed: return "failed";
    case JobState::expired: return "expired";
  }
  return "failed";
}

std::optional<JobState> parse_job_state(std::string_view s) noexcept {
  for (auto st : {JobState::queued, JobState::running, JobState::done, JobState::failed, JobState::expired})
    if (s == to_string(st)) return st;
  return std::nullopt;
}

void write_file_atomically(const std::string& path, std::string_view bytes, bool sync) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + tmp + ": " + std::strerror(errno));
  try {
    write_all(fd, bytes, tmp);
    if (sync && ::fsync(fd) != 0) throw std::runtime_error("cannot fsync " + tmp + ": " + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot rename " + tmp + ": " + std::strerror(e));
  }
}

JobStore::JobStore(std::string db_path) : path_(std::move(db_path)), files_(path_ + ".files") {
  // One server per store: two would both re-queue and run the same jobs after a "restart",
  // and the second to finish would find the first's result renamed away. The lock is an
  // flock on the database file itself, so another name for it (a symlink, a hard link) is
  // the same store; flock locks are apart from SQLite's POSIX locks on Linux. This fd stays
  // open until after sqlite3_close: closing any fd of the file drops SQLite's locks. The
  // kernel releases the flock when the process dies, kill -9 included. `PATH.lock` only
  // holds the owner's pid, for the message.
  lock_fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw std::runtime_error("cannot open the job store " + path_ + ": " + std::strerror(errno));
  const std::string pid_path = path_ + ".lock";
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(lock_fd_);
    lock_fd_ = -1;
    std::string who;
    if (int pf = ::open(pid_path.c_str(), O_RDONLY | O_CLOEXEC); pf >= 0) {
      char pid[32] = {};
      if (ssize_t n = ::read(pf, pid, sizeof pid - 1); n > 0) who.assign(pid, size_t(n));
      ::close(pf);
    }
    while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
    if (e == EWOULDBLOCK)
      throw std::runtime_error("the job store " + path_ + " is in use by another ofq serve" +
                               (who.empty() ? std::string() : " (pid " + who + ")") +
                               "; each server needs its own --jobs-db");
    throw std::runtime_error("cannot lock the job store " + path_ + ": " + std::strerror(e));
  }
  if (int pf = ::open(pid_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644); pf >= 0) {
    const std::string me = std::to_string(::getpid()) + "\n";
    if (::write(pf, me.data(), me.size()) < 0) {
      // Only for the message above: a store without it still works.
    }
    ::close(pf);
  }
  try {
    if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw std::runtime_error("cannot open the job store " + path_ + ": " + msg);
    }
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("CREATE TABLE IF NOT EXISTS jobs ("
         "id TEXT PRIMARY KEY, kind TEXT NOT NULL, sample_id TEXT NOT NULL, format TEXT NOT NULL,"
         "strict INTEGER NOT NULL, state TEXT NOT NULL, done INTEGER NOT NULL, total INTEGER NOT NULL,"
         "error_status INTEGER NOT NULL, error_json TEXT NOT NULL, content_type TEXT NOT NULL,"
         "result_bytes INTEGER NOT NULL, created_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL,"
         "expires_ms INTEGER NOT NULL, attempts INTEGER NOT NULL)");
    exec("CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, created_ms)");
    // Only once the database is known good: a refused file leaves no folder behind.
    std::error_code ec;
    std::filesystem::create_directories(files_, ec);
    if (ec) throw std::runtime_error("cannot create " + files_ + ": " + ec.message());
  } catch (...) {
    sqlite3_close(db_);  // a constructor that throws has no destructor run
    db_ = nullptr;
    ::close(lock_fd_);
    throw;
  }
}

JobStore::~JobStore() {
  sqlite3_close(db_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void JobStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error("job store " + path_ + ": " + msg);
  }
}

std::string JobStore::request_path(std::string_view id) const { return files_ + "/" + std::string(id) + ".request"; }
std::string JobStore::result_path(std::string_view id) const { return files_ + "/" + std::string(id) + ".result"; }

std::string JobStore::new_id() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("cannot draw a random job id");
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (unsigned char c : raw) {
    id.push_back(hex[c >> 4]);
    id.push_back(hex[c & 15]);
  }
  return id;
}

int64_t JobStore::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
void bind_record(Stmt& s, const JobRecord& j) {
  s.bind(1, j.id).bind(2, j.kind).bind(3, j.sample_id).bind(4, j.format).bind(5, int64_t{j.strict})
      .bind(6, std::string_view(to_string(j.state))).bind(7, static_cast<int64_t>(j.done))
      .bind(8, static_cast<int64_t>(j.total)).bind(9, int64_t{j.error_status}).bind(10, j.error_json)
      .bind(11, j.content_type).bind(12, static_cast<int64_t>(j.result_bytes)).bind(13, j.created_ms)
      .bind(14, j.finished_ms).bind(15, j.expires_ms).bind(16, int64_t{j.attempts});
}
constexpr const char* k_insert =
    "INSERT INTO jobs (id, kind, sample_id, format, strict, state, done, total, error_status, "
    "error_json, content_type, result_bytes, created_ms, finished_ms, expires_ms, attempts) "
    "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)";
}  // namespace

void JobStore::insert(const JobRecord& job, std::string_view body) {
  // The request first: a row without its request would be a job that cannot run.
  write_file_atomically(request_path(job.id), body, false);
  std::lock_guard lock(mutex_);
  Stmt s(db_, k_insert, path_);
  bind_record(s, job);
  s.run();
}

void JobStore::insert_done(const JobRecord& job) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, k_insert, path_);
  bind_record(s, job);
  s.run();
}

std::optional<JobRecord> JobStore::get(std::string_view id) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, (std::string("SELECT ") + k_columns + " FROM jobs WHERE id = ?1").c_str(), path_);
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_row(s);
}

std::vector<JobRecord> JobStore::unfinished() {
  std::lock_guard lock(mutex_);
  Stmt s(db_,
         (std::string("SELECT ") + k_columns +
          " FROM jobs WHERE state IN ('queued','running') ORDER BY created_ms, id").c_str(),
         path_);
  std::vector<JobRecord> out;
  while (s.step()) out.push_back(read_row(s));
  return out;
}

void JobStore::set_running(std::string_view id, uint64_t total) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, "UPDATE jobs SET state='running', done=0, total=?2, attempts=attempts+1 WHERE id=?1", path_);
  s.bind(1, id).bind(2, static_cast<int64_t>(total)).run();
}

void JobStore::set_progress(std::string_view id, uint64_t done, uint64_t total) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, "UPDATE jobs SET done=?2, total=?3 WHERE id=?1 AND state='running'", path_);
  s.bind(1, id).bind(2, static_cast<int64_t>(done)).bind(3, static_cast<int64_t>(total)).run();
}

void JobStore::set_queued(std::string_view id) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, "UPDATE jobs SET state='queued', done=0 WHERE id=?1 AND state IN ('queued','running')", path_);
  s.bind(1, id).run();
}

void JobStore::set_done(std::string_view id, uint64_t result_bytes, std::string_view content_type,
                        int64_t expires_ms) {
  std::lock_guard lock(mutex_);
  Stmt s(db_,
         "UPDATE jobs SET state='done', done=total, result_bytes=?2, content_type=?3, "
         "finished_ms=?4, expires_ms=?5 WHERE id=?1",
         path_);
  s.bind(1, id).bind(2, static_cast<int64_t>(result_bytes)).bind(3, content_type).bind(4, now_ms())
      .bind(5, expires_ms).run();
  ::unlink(request_path(id).c_str());  // the result stands; the request is no longer needed
}

void JobStore::set_failed(std::string_view id, unsigned status, std::string_view error_json,
                          int64_t expires_ms) {
  std::lock_guard lock(mutex_);
  Stmt s(db_,
         "UPDATE jobs SET state='failed', error_status=?2, error_json=?3, finished_ms=?4, "
         "expires_ms=?5 WHERE id=?1",
         path_);
  s.bind(1, id).bind(2, int64_t{status}).bind(3, error_json).bind(4, now_ms()).bind(5, expires_ms).run();
  ::unlink(request_path(id).c_str());
}

uint64_t JobStore::expire(int64_t now, int64_t forget_before_ms) {
  std::vector<std::string> ids;
  std::lock_guard lock(mutex_);
  {
    Stmt s(db_, "SELECT id FROM jobs WHERE state IN ('done','failed') AND expires_ms <= ?1", path_);
    s.bind(1, now);
    while (s.step()) ids.push_back(s.text(0));
  }
  for (const auto& id : ids) {
    // The file goes first: a reader that already opened it keeps reading (POSIX unlink).
    ::unlink(result_path(id).c_str());
    Stmt u(db_, "UPDATE jobs SET state='expired' WHERE id=?1", path_);
    u.bind(1, id).run();
  }
  Stmt d(db_, "DELETE FROM jobs WHERE state='expired' AND expires_ms <= ?1", path_);
  d.bind(1, forget_before_ms).run();
  return ids.size();
}

std::map<JobState, uint64_t> JobStore::counts() {
  std::map<JobState, uint64_t> out;
  for (auto st : {JobState::queued, JobState::running, JobState::done, JobState::failed, JobState::expired})
    out[st] = 0;
  std::lock_guard lock(mutex_);
  Stmt s(db_, "SELECT state, count(*) FROM jobs GROUP BY state", path_);
  while (s.step())
    if (auto st = parse_job_state(s.text(0))) out[*st] = static_cast<uint64_t>(s.integer(1));
  return out;
}

}  // namespace ofq::server
