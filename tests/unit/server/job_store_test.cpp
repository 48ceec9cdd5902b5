// The job store alone: rows survive closing the database, progress and final states are
// kept, expiry turns results into tombstones and then forgets them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ofq/server/job_store.hpp"

namespace fs = std::filesystem;

namespace ofq::server {
namespace {

struct TempDir {
  TempDir() {
    path = fs::temp_directory_path() / ("ofq_job_store_test_" + std::to_string(::getpid()) + "_" +
                                        std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
  static inline int counter = 0;
};

JobRecord job(std::string id, int64_t created) {
  JobRecord j;
  j.id = std::move(id);
  j.sample_id = "S";
  j.format = "fasta";
  j.strict = true;
  j.created_ms = created;
  return j;
}

TEST(JobStore, RowsSurviveReopening) {
  TempDir d;
  const std::string db = (d.path / "jobs.db").string();
  {
    JobStore s(db);
    s.insert(job("a", 10), "{\"positions\": []}");
    s.insert(job("b", 20), "body b");
    s.set_running("b", 7);
    s.set_progress("b", 3, 7);
  }
  EXPECT_TRUE(fs::exists(db + "-wal") || fs::exists(db));
  JobStore s(db);
  auto a = s.get("a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->state, JobState::queued);
  EXPECT_EQ(a->format, "fasta");
  EXPECT_TRUE(a->strict);
  EXPECT_EQ(a->created_ms, 10);
  auto b = s.get("b");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->state, JobState::running);
  EXPECT_EQ(b->done, 3u);
  EXPECT_EQ(b->total, 7u);
  EXPECT_EQ(b->attempts, 1u);
  auto un = s.unfinished();
  ASSERT_EQ(un.size(), 2u);
  EXPECT_EQ(un[0].id, "a");
  EXPECT_EQ(un[1].id, "b");
  std::ifstream in(s.request_path("b"));
  std::string body((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(body, "body b");
  EXPECT_FALSE(s.get("c"));
}

TEST(JobStore, OneServerAStore) {
  TempDir d;
  const std::string db = (d.path / "jobs.db").string();
  {
    JobStore first(db);
    try {
      JobStore second(db);
      ADD_FAILURE() << "a second store on " << db << " was opened";
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()), "the job store " + db + " is in use by another ofq serve (pid " +
                                           std::to_string(::getpid()) + "); each server needs its own --jobs-db");
    }
  }
  {
    // Other names of the same file are the same store.
    JobStore first(db);
    fs::create_symlink(db, d.path / "link.db");
    fs::create_hard_link(db, d.path / "hard.db");
    EXPECT_THROW(JobStore{(d.path / "link.db").string()}, std::runtime_error);
    EXPECT_THROW(JobStore{(d.path / "hard.db").string()}, std::runtime_error);
    fs::remove(db + ".lock");  // the pid note, not the lock
    EXPECT_THROW(JobStore{db}, std::runtime_error);
  }
  JobStore again(db);  // the lock went with the first store
  // A file that is not a database is refused, and leaves no result folder behind.
  const std::string junk = (d.path / "junk.db").string();
  {
    std::ofstream(junk) << std::string(4096, 'x');
  }
  EXPECT_THROW(JobStore{junk}, std::runtime_error);
  EXPECT_FALSE(fs::exists(junk + ".files"));
}

TEST(JobStore, DoneFailedExpiredForgotten) {
  TempDir d;
  JobStore s((d.path / "jobs.db").string());
  s.insert(job("a", 1), "x");
  s.insert(job("b", 2), "y");
  write_file_atomically(s.result_path("a"), "id,start\n", false);
  s.set_done("a", 9, "text/csv", 1000);
  s.set_failed("b", 422, "{\"error\":\"bad_positions\"}\n", 2000);
  EXPECT_FALSE(fs::exists(s.request_path("a")));  // a finished job needs no request
  auto a = s.get("a");
  EXPECT_EQ(a->state, JobState::done);
  EXPECT_EQ(a->result_bytes, 9u);
  EXPECT_EQ(a->content_type, "text/csv");
  EXPECT_EQ(a->expires_ms, 1000);
  auto b = s.get("b");
  EXPECT_EQ(b->state, JobState::failed);
  EXPECT_EQ(b->error_status, 422u);
  EXPECT_EQ(b->error_json, "{\"error\":\"bad_positions\"}\n");
  EXPECT_TRUE(s.unfinished().empty());

  EXPECT_EQ(s.expire(1500, 0), 1u);  // a expires, b not yet
  EXPECT_EQ(s.get("a")->state, JobState::expired);
  EXPECT_FALSE(fs::exists(s.result_path("a")));
  EXPECT_EQ(s.get("b")->state, JobState::failed);
  auto c = s.counts();
  EXPECT_EQ(c[JobState::expired], 1u);
  EXPECT_EQ(c[JobState::failed], 1u);
  EXPECT_EQ(c[JobState::queued], 0u);
  EXPECT_EQ(s.expire(3000, 1000), 1u);  // b expires; a (expired at 1000) is forgotten
  EXPECT_FALSE(s.get("a"));
  EXPECT_EQ(s.get("b")->state, JobState::expired);
}

TEST(JobStore, RequeueAfterStop) {
  TempDir d;
  JobStore s((d.path / "jobs.db").string());
  s.insert(job("a", 1), "x");
  s.set_running("a", 5);
  s.set_progress("a", 4, 5);
  s.set_queued("a");
  auto a = s.get("a");
  EXPECT_EQ(a->state, JobState::queued);
  EXPECT_EQ(a->done, 0u);
}

TEST(JobStore, AtomicWriteLeavesNoTemporary) {
  TempDir d;
  std::string p = (d.path / "r.result").string();
  write_file_atomically(p, "hello", true);
  EXPECT_FALSE(fs::exists(p + ".tmp"));
  std::ifstream in(p);
  std::string body((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(body, "hello");
  EXPECT_EQ(JobStore::new_id().size(), 32u);
  EXPECT_NE(JobStore::new_id(), JobStore::new_id());
}

TEST(JobStore, StatesHaveWords) {
  EXPECT_STREQ(to_string(JobState::running), "running");
  EXPECT_EQ(parse_job_state("expired"), JobState::expired);
  EXPECT_FALSE(parse_job_state("lost"));
}

}  // namespace
}  // namespace ofq::server
