// Jobs through the routes, without sockets: a Service over the demo catalog, the
// Operations in front of the server's router, as `ofq serve` assembles them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "ofq/server/operations.hpp"
#include "ofq/server/service.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace ofq::server {
namespace {

const std::string k_data = std::string(OFQ_SOURCE_DIR) + "/data";
const std::string k_positions =
    "[[\"TARA_A100000171_G_scaffold48_1\", 10, 50, \"complement\"], "
    "{\"id\": \"TARA_A100000171_G_scaffold181_1\", \"start\": 0, \"end\": 50}, "
    "[\"TARA_A100000171_G_scaffold48_1\", 0, 100000000]]";

struct Catalogs {
  Catalogs() {
    dir = fs::temp_directory_path() / ("ofq_jobs_test_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    catalog = Catalog::load(k_data, CatalogOptions{(dir / "idx").string(), 2, false});
    catalog->start_indexing();
    EXPECT_TRUE(catalog->wait_until_indexed(std::chrono::seconds(120)));
  }
  ~Catalogs() {
    catalog.reset();
    fs::remove_all(dir);
  }
  fs::path dir;
  std::unique_ptr<Catalog> catalog;
};
Catalogs* g_cat = nullptr;

struct Harness {
  explicit Harness(std::string db, Limits limits = {}, OperationsOptions oo = {}) {
    service = std::make_unique<Service>(*g_cat->catalog, limits);
    router = build_router(*service);
    oo.jobs.db_path = std::move(db);
    oo.jobs.log = false;
    oo.gateway.access_log = false;
    ops = std::make_unique<Operations>(oo, *service);
    ops->attach(router, router.routes(), [] { return int64_t{0}; });
  }
  ~Harness() { ops.reset(); }
  Response call(std::string method, std::string target, std::string body = "") {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    return ops->handle(r, "127.0.0.1");
  }
  static std::string drain(Response r) {
    if (!r.streaming()) return r.body;
    StringSink s;
    r.stream(s);
    return s.data;
  }
  json wait_done(const std::string& id) {
    for (int i = 0; i < 600; ++i) {
      auto r = call("GET", "/v1/jobs/" + id);
      json j = json::parse(r.body);
      if (j["status"] != "queued" && j["status"] != "running") return j;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return json();
  }
  std::unique_ptr<Service> service;
  Router router;
  std::unique_ptr<Operations> ops;
};

std::string db_path(const std::string& name) {
  auto p = g_cat->dir / name;
  fs::create_directories(p);
  return (p / "jobs.db").string();
}

class Jobs : public ::testing::Test {
protected:
  static void SetUpTestSuite() { g_cat = new Catalogs(); }
  static void TearDownTestSuite() {
    delete g_cat;
    g_cat = nullptr;
  }
};

TEST_F(Jobs, V1JobEqualsStreamedAnswer) {
  Harness s(db_path("v1"));
  s.ops->start();
  for (std::string fmt : {"csv", "fasta", "ndjson"}) {
    std::string body = "{\"sample_id\": \"TARA_A100000171\", \"positions\": " + k_positions + ", \"format\": \"" + fmt + "\"}";
    auto r = s.call("POST", "/v1/jobs", body);
    ASSERT_EQ(r.status, 202u) << r.body;
    json j = json::parse(r.body);
    std::string id = j["job_id"];
    EXPECT_EQ(j["status_url"], "/v1/jobs/" + id);
    EXPECT_EQ(j["result_url"], "/v1/jobs/" + id + "/result");
    json st = s.wait_done(id);
    EXPECT_EQ(st["status"], "done");
    EXPECT_EQ(st["done"], 3);
    EXPECT_EQ(st["total"], 3);
    EXPECT_TRUE(st["error"].is_null());
    auto res = s.call("GET", "/v1/jobs/" + id + "/result");
    EXPECT_EQ(res.status, 200u);
    auto direct = s.call("POST", "/v1/samples/TARA_A100000171/sequences",
                         "{\"positions\": " + k_positions + ", \"format\": \"" + fmt + "\"}");
    EXPECT_EQ(Harness::drain(res), Harness::drain(direct));
    EXPECT_EQ(res.content_type, direct.content_type);
  }
}

TEST_F(Jobs, BadJobsAndUnknownIds) {
  Harness s(db_path("bad"));
  s.ops->start();
  auto r = s.call("POST", "/v1/jobs", "{\"sample_id\": \"TARA_A100000171\", \"positions\": [[\"nope\", 0, 5]]}");
  ASSERT_EQ(r.status, 202u);
  std::string id = json::parse(r.body)["job_id"];
  json st = s.wait_done(id);
  EXPECT_EQ(st["status"], "failed");
  EXPECT_EQ(st["error"]["error"], "bad_positions");
  EXPECT_EQ(st["error"]["status"], 422);
  EXPECT_EQ(st["error"]["rows"][0]["row"], 0);
  EXPECT_EQ(st["error"]["rows"][0]["id"], "nope");
  auto res = s.call("GET", "/v1/jobs/" + id + "/result");
  EXPECT_EQ(res.status, 422u);

  auto unknown = s.call("POST", "/v1/jobs", "{\"sample_id\": \"NOPE\", \"positions\": []}");
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(unknown.body,
            "{\"error\":\"unknown_sample\",\"message\":\"no sample 'NOPE' in this catalog; GET /v1/samples lists them\"}\n");
  auto nofmt = s.call("POST", "/v1/jobs", "{\"sample_id\": \"TARA_A100000171\", \"positions\": [], \"format\": \"xml\"}");
  EXPECT_EQ(nofmt.status, 400u);
  EXPECT_EQ(nofmt.body,
            "{\"error\":\"bad_request\",\"message\":\"format 'xml' is not one of csv, tsv, fasta, json, ndjson\"}\n");
  auto missing = s.call("GET", "/v1/jobs/0123");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(missing.body, "{\"error\":\"not_found\",\"message\":\"no job '0123' (unknown, or expired long ago)\"}\n");
  EXPECT_EQ(s.call("GET", "/v1/jobs/0123/result").status, 404u);
}

TEST_F(Jobs, OriginalSmallIsDoneBeforeTheAnswer) {
  Harness s(db_path("orig"));
  s.ops->start();
  auto r = s.call("POST", "/query/fasta-sequences/",
                  "{\"storage_key\": \"published/assemblies/TARA_A100000171.scaftig.gz\", \"positions\": " +
                      k_positions + ", \"output_format\": \"csv\"}");
  ASSERT_EQ(r.status, 200u) << r.body;
  std::string key = json::parse(r.body)["results_key"];
  auto res = s.call("GET", "/query/result/" + key);
  EXPECT_EQ(res.status, 200u);
  auto direct = s.call("POST", "/v1/samples/TARA_A100000171/sequences", "{\"positions\": " + k_positions + "}");
  EXPECT_EQ(Harness::drain(res), Harness::drain(direct));
  auto bad = s.call("POST", "/query/fasta-sequences/",
                    "{\"storage_key\": \"published/assemblies/TARA_A100000171.scaftig.gz\", \"positions\": [[\"x\", 5, 1]]}");
  EXPECT_EQ(bad.status, 422u);
  EXPECT_EQ(s.call("GET", "/query/result/ffff").status, 404u);
}

TEST_F(Jobs, OriginalPostThenResultIsThePublishedCsv) {
  Harness s(db_path("orig_published"));
  s.ops->start();
  std::string body = R"({"storage_key": "published/assemblies/TARA_A100000171.scaftig.gz", "positions": [
    ["TARA_A100000171_G_scaffold48_1", 10, 50, "complement"], ["TARA_A100000171_G_scaffold48_1", 10, 50],
    ["TARA_A100000171_G_scaffold48_1", 10, 50, "reverse_complement"], ["TARA_A100000171_G_scaffold181_1", 0, 50],
    ["TARA_A100000171_G_scaffold181_1", 100, 200], ["TARA_A100000171_G_scaffold181_1", 200, 230],
    ["TARA_A100000171_G_scaffold493_2", 54, 76], ["TARA_A100000171_G_scaffold50396_2", 87, 105],
    ["TARA_A100000171_G_C2001995_1", 20, 635], ["TARA_A100000171_G_C2026460_1", 0, 100]]})";
  auto post = s.call("POST", "/query/fasta-sequences/", body);
  ASSERT_EQ(post.status, 200u) << post.body;
  std::string key = json::parse(post.body)["results_key"];
  EXPECT_EQ(key.size(), 32u);
  auto get = s.call("GET", "/query/result/" + key);
  EXPECT_EQ(get.status, 200u);
  std::ifstream in(k_data + "/published/expected_tara_a100000171.csv", std::ios::binary);
  std::string want((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(Harness::drain(get), want);
}

TEST_F(Jobs, OriginalKeysThatArePathsAreRefused) {
  Harness s(db_path("orig_keys"));
  for (const char* key : {"../catalog.tsv", "/etc/passwd", "published/../../x"}) {
    auto r = s.call("POST", "/query/fasta-sequences/",
                    std::string(R"({"storage_key": ")") + key + R"(", "positions": []})");
    EXPECT_EQ(r.status, 400u) << key;
    EXPECT_EQ(json::parse(r.body)["error"], "bad_request") << r.body;
  }
}

TEST_F(Jobs, OriginalLargeBecomesAJob) {
  Limits l;
  l.inline_positions = 1;
  Harness s(db_path("orig_large"), l);
  s.ops->start();
  auto r = s.call("POST", "/query/fasta-sequences/",
                  "{\"storage_key\": \"TARA_A100000171\", \"positions\": " + k_positions + ", \"output_format\": \"fasta\"}");
  ASSERT_EQ(r.status, 200u) << r.body;
  std::string key = json::parse(r.body)["results_key"];
  EXPECT_EQ(s.wait_done(key)["status"], "done");
  auto res = s.call("GET", "/query/result/" + key);
  EXPECT_EQ(res.status, 200u);
  auto direct = s.call("POST", "/v1/samples/TARA_A100000171/sequences",
                       "{\"positions\": " + k_positions + ", \"format\": \"fasta\"}");
  EXPECT_EQ(Harness::drain(res), Harness::drain(direct));
}

TEST_F(Jobs, RestartFinishesAcceptedJobs) {
  std::string db = db_path("restart");
  std::string id;
  {
    Harness a(db);  // accepts, never starts its workers: as if killed right after the 202
    auto r = a.call("POST", "/v1/jobs", "{\"sample_id\": \"TARA_A100000171\", \"positions\": " + k_positions + "}");
    ASSERT_EQ(r.status, 202u);
    id = json::parse(r.body)["job_id"];
    EXPECT_EQ(json::parse(a.call("GET", "/v1/jobs/" + id).body)["status"], "queued");
    EXPECT_EQ(a.call("GET", "/v1/jobs/" + id + "/result").status, 409u);
  }
  Harness b(db);
  b.ops->start();
  EXPECT_EQ(b.ops->jobs().recovered(), 1u);
  EXPECT_EQ(b.wait_done(id)["status"], "done");
  auto direct = b.call("POST", "/v1/samples/TARA_A100000171/sequences", "{\"positions\": " + k_positions + "}");
  EXPECT_EQ(Harness::drain(b.call("GET", "/v1/jobs/" + id + "/result")), Harness::drain(direct));
}

TEST_F(Jobs, ResultsExpire) {
  Limits l;
  l.result_ttl = std::chrono::seconds(1);
  Harness s(db_path("expire"), l);
  s.ops->start();
  auto r = s.call("POST", "/v1/jobs", "{\"sample_id\": \"TARA_A100000171\", \"positions\": " + k_positions + "}");
  std::string id = json::parse(r.body)["job_id"];
  EXPECT_EQ(s.wait_done(id)["status"], "done");
  EXPECT_EQ(s.call("GET", "/v1/jobs/" + id + "/result").status, 200u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  EXPECT_EQ(json::parse(s.call("GET", "/v1/jobs/" + id).body)["status"], "expired");
  auto gone = s.call("GET", "/v1/jobs/" + id + "/result");
  EXPECT_EQ(gone.status, 410u);
  EXPECT_EQ(gone.body, "{\"error\":\"expired\",\"message\":\"the result of job " + id +
                           " has expired; submit the job again\"}\n");
}

TEST_F(Jobs, MaxJobs) {
  OperationsOptions oo;
  oo.jobs.max_jobs = 1;
  Harness s(db_path("max"), Limits{}, oo);  // not started: the first job stays queued
  std::string body = "{\"sample_id\": \"TARA_A100000171\", \"positions\": " + k_positions + "}";
  EXPECT_EQ(s.call("POST", "/v1/jobs", body).status, 202u);
  auto r = s.call("POST", "/v1/jobs", body);
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(r.body,
            "{\"error\":\"too_large\",\"message\":\"1 jobs are queued or running, the limit is 1 (--max-jobs); retry later\"}\n");
}

TEST_F(Jobs, MetricsAndOpenapiRoutes) {
  Harness s(db_path("metrics"));
  s.ops->start();
  (void)s.call("GET", "/healthz");
  auto m = s.call("GET", "/metrics");
  EXPECT_EQ(m.status, 200u);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m.body.find("ofq_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("ofq_jobs{state=\"queued\"} 0\n"), std::string::npos);
  EXPECT_NE(m.body.find("ofq_index_samples{state=\"ready\"} " + std::to_string(g_cat->catalog->samples().size()) + "\n"),
            std::string::npos);
  auto o = s.call("GET", "/openapi.json");
  EXPECT_EQ(o.status, 200u);
  EXPECT_EQ(json::parse(o.body)["openapi"], "3.0.3");
}

}  // namespace
}  // namespace ofq::server
