// /openapi.json against the router: the same (method, path) pairs, each documented.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "ofq/server/operations.hpp"
#include "ofq/server/service.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace ofq::server {
namespace {

std::string normal(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

TEST(OpenApi, PathsEqualTheRoutes) {
  auto dir = fs::temp_directory_path() / ("ofq_openapi_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    auto catalog = Catalog::load(std::string(OFQ_SOURCE_DIR) + "/data", CatalogOptions{dir.string(), 1, false});
    Service service(*catalog, Limits{});
    Router router = build_router(service);
    OperationsOptions oo;
    oo.jobs.db_path = (dir / "jobs.db").string();
    oo.jobs.log = false;
    oo.gateway.access_log = false;
    Operations ops(oo, service);
    ops.attach(router, router.routes(), nullptr);

    std::set<std::pair<std::string, std::string>> routes;
    for (const auto& [m, p] : ops.routes()) routes.emplace(m, normal(p));
    // The server's routes are there, the issue-5 ones too.
    EXPECT_TRUE(routes.count({"GET", "/v1/jobs/{job_id}/result"}));
    EXPECT_TRUE(routes.count({"GET", "/v1/samples/{sample_id}/sequences/{sequence_id}"}));
    EXPECT_TRUE(routes.count({"GET", "/metrics"}));

    Request q;
    q.method = "GET";
    q.target = "/openapi.json";
    Response r = ops.handle(q, "127.0.0.1");
    ASSERT_EQ(r.status, 200u);
    json doc = json::parse(r.body);
    EXPECT_EQ(doc["openapi"], "3.0.3");
    std::set<std::pair<std::string, std::string>> documented;
    for (auto& [path, item] : doc["paths"].items()) {
      for (auto& [method, op] : item.items()) {
        std::string m = method;
        for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        documented.emplace(m, normal(path));
        EXPECT_FALSE(op.contains("x-ofq-undocumented")) << m << " " << path << " has no entry in openapi.cpp";
        EXPECT_TRUE(op.contains("responses"));
      }
    }
    EXPECT_EQ(documented, routes);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ofq::server
