// The handlers as plain functions, without sockets (STYLE.md 11): a Service over the
// repo's demo catalog, requests built by hand, responses checked byte for byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ofq/server/service.hpp"

namespace fs = std::filesystem;

namespace ofq::server {
namespace {

const std::string k_data = std::string(OFQ_SOURCE_DIR) + "/data";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Fixture {
  explicit Fixture(bool index) {
    dir = fs::temp_directory_path() / ("ofq_handlers_test_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    catalog = Catalog::load(k_data, CatalogOptions{dir.string(), 2, false});
    if (index) {
      catalog->start_indexing();
      EXPECT_TRUE(catalog->wait_until_indexed(std::chrono::seconds(120)));
    }
    service = std::make_unique<Service>(*catalog, Limits{});
    router = build_router(*service);
  }
  ~Fixture() {
    router = Router{};
    service.reset();
    catalog.reset();
    fs::remove_all(dir);
  }
  Response call(std::string method, std::string target, std::string body = "") {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    return router.dispatch(r);
  }
  fs::path dir;
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<Service> service;
  Router router;
};

std::string header(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

TEST(Handlers, NotReadyWhileIndexing) {
  Fixture f(false);  // indexing never started: every sample is "building"
  auto r = f.call("GET", "/v1/samples/TARA_A100000171/sequences/TARA_A100000171_G_scaffold48_1");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(header(r, "Retry-After"), "2");
  EXPECT_EQ(r.body,
            "{\"error\":\"not_ready\",\"message\":\"sample 'TARA_A100000171' is being indexed; retry in a few seconds\"}\n");
  auto h = f.call("GET", "/healthz");
  EXPECT_EQ(h.status, 200u);
  // The original gene table needs no index.
  auto g = f.call("GET", "/query/get-sample-genes-ids/TARA_R110002003/");
  EXPECT_EQ(g.body, slurp(k_data + "/published/original_genes_and_gaps_tara_r110002003.tsv"));
}

class ReadyHandlers : public ::testing::Test {
protected:
  static void SetUpTestSuite() { f = new Fixture(true); }
  static void TearDownTestSuite() {
    delete f;
    f = nullptr;
  }
  static Fixture* f;
};
Fixture* ReadyHandlers::f = nullptr;

TEST_F(ReadyHandlers, V1BatchStreamsTheSameBytesAsItsFormat) {
  auto r = f->call("POST", "/v1/samples/TARA_A100000171/sequences",
                   R"({"positions": [{"id": "TARA_A100000171_G_scaffold48_1", "start": 10, "end": 14, "name": "p1"}],
                       "format": "tsv"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  ASSERT_TRUE(r.streaming());
  StringSink sink;
  r.stream(sink);
  EXPECT_EQ(sink.data, "id\tstart\tend\ttype\tname\tsequence\nTARA_A100000171_G_scaffold48_1\t10\t14\traw\tp1\tTGGC\n");
}

TEST_F(ReadyHandlers, BadPositionsListEveryRow) {
  auto r = f->call("POST", "/v1/samples/TARA_A100000171/sequences",
                   R"({"positions": [["TARA_A100000171_G_scaffold48_1", 1, 2], ["nope", 0, 1], ["x", 1, "2"]]})");
  EXPECT_EQ(r.status, 422u);
  EXPECT_EQ(r.body,
            "{\"error\":\"bad_positions\",\"message\":\"2 of 3 positions of sample 'TARA_A100000171' are invalid; "
            "nothing was extracted\",\"rows\":[{\"id\":\"nope\",\"reason\":\"unknown sequence\",\"row\":1},"
            "{\"id\":\"x\",\"reason\":\"end must be a whole number >= 0, found '\\\"2\\\"'\",\"row\":2}]}\n");
}

TEST_F(ReadyHandlers, RegionAndIntergenic) {
  auto r = f->call("GET", "/v1/samples/TARA_A100000171/sequences/TARA_A100000171_G_scaffold48_1?start=10&end=20&type=complement");
  EXPECT_EQ(r.body, "ACCGTAACGT");
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  auto i = f->call("GET", "/v1/samples/TARA_R110002003/intergenic?format=csv&page=2&page_size=1");
  EXPECT_EQ(i.body,
            "sequence,start,stop,length,gen_before,gen_after,strand_before,strand_after,orientation\n"
            "TARA_R110002003_G_scaffold3_1,912,1003,91,TARA_R110002003_G_scaffold3_1_gene1,"
            "TARA_R110002003_G_scaffold3_1_gene2,+,+,tandem\n");
  auto n = f->call("GET", "/v1/samples/TARA_A100000171/genes");
  EXPECT_EQ(n.status, 404u);
  EXPECT_EQ(n.body, "{\"error\":\"no_annotation\",\"message\":\"sample 'TARA_A100000171' has no gene annotation in this catalog\"}\n");
}

TEST_F(ReadyHandlers, SampleIdsThatArePathsAreRefused) {
  auto s = f->call("GET", "/v1/samples/%2E%2E");
  EXPECT_EQ(s.status, 400u);
}

}  // namespace
}  // namespace ofq::server
