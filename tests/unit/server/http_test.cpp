// The route table, percent-decoding and query parameters (src/server/http.cpp).
#include "ofq/server/http.hpp"

#include <gtest/gtest.h>

namespace ofq::server {
namespace {

Request get(std::string target, std::string method = "GET") {
  Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  return r;
}

Router table() {
  Router r;
  r.add("GET", "/v1/samples/{sample_id}/sequences/{sequence_id}", [](Request& q) {
    return text_response(q.param("sample_id") + "|" + q.param("sequence_id") + "|" +
                             std::string(q.query_value("start").value_or("-")),
                         "text/plain");
  });
  r.add("GET", "/query/list-fasta-files/", [](Request&) { return text_response("list", "text/csv"); });
  r.add("POST", "/query/list-fasta-files/", [](Request&) { return text_response("post", "text/csv"); });
  r.add("GET", "/boom", [](Request&) -> Response { throw std::runtime_error("/secret/path"); });
  r.add("GET", "/engine", [](Request&) -> Response { throw Error(Errc::unknown_sequence, "no chr9"); });
  r.add("GET", "/api", [](Request&) -> Response { throw ApiError(400, "bad_request", "bad x"); });
  return r;
}

TEST(Router, CapturesDecodedSegmentsAndQuery) {
  auto r = table();
  auto q = get("/v1/samples/S%201/sequences/gi%7C45%7Cref%2F1?start=5&x=a+b");
  auto res = r.dispatch(q);
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.body, "S 1|gi|45|ref/1|5");
  EXPECT_EQ(q.query.at("x"), "a b");
}

TEST(Router, TrailingSlashAndHead) {
  auto r = table();
  auto a = get("/query/list-fasta-files");
  EXPECT_EQ(r.dispatch(a).body, "list");
  auto b = get("/query/list-fasta-files/", "HEAD");
  EXPECT_EQ(r.dispatch(b).body, "list");
  auto c = get("/query/list-fasta-files/", "POST");
  EXPECT_EQ(r.dispatch(c).body, "post");
}

TEST(Router, NotFoundAndMethodNotAllowed) {
  auto r = table();
  auto a = get("/nope");
  auto res = r.dispatch(a);
  EXPECT_EQ(res.status, 404u);
  EXPECT_EQ(res.body, "{\"error\":\"not_found\",\"message\":\"no route /nope; see /openapi.json or docs/http_api.md\"}\n");
  auto b = get("/v1/samples/a/sequences/b", "DELETE");
  res = r.dispatch(b);
  EXPECT_EQ(res.status, 405u);
  ASSERT_EQ(res.headers.size(), 1u);
  EXPECT_EQ(res.headers[0].second, "GET");
}

TEST(Router, ErrorsBecomeJsonAndUnknownOnesSayNothing) {
  auto r = table();
  auto a = get("/boom");
  auto res = r.dispatch(a);
  EXPECT_EQ(res.status, 500u);
  EXPECT_EQ(res.body, "{\"error\":\"internal\",\"message\":\"internal error while answering this request\"}\n");
  auto b = get("/engine");
  res = r.dispatch(b);
  EXPECT_EQ(res.status, 404u);
  EXPECT_EQ(res.body, "{\"error\":\"unknown_sequence\",\"message\":\"no chr9\"}\n");
  auto c = get("/api");
  EXPECT_EQ(r.dispatch(c).body, "{\"error\":\"bad_request\",\"message\":\"bad x\"}\n");
  auto d = get("/v1/samples/%zz/sequences/b");
  res = r.dispatch(d);
  EXPECT_EQ(res.status, 400u);
}

TEST(Http, ErrorRowsAndNonUtf8Messages) {
  auto res = error_response(422, "bad_positions", "bad \xff", {{3, 0, "x", "unknown sequence"}});
  EXPECT_EQ(res.body,
            "{\"error\":\"bad_positions\",\"message\":\"bad \xEF\xBF\xBD\",\"rows\":[{\"id\":\"x\",\"reason\":"
            "\"unknown sequence\",\"row\":3}]}\n");
}

TEST(Http, QueryUint) {
  Request q;
  q.query = parse_query("a=10&b=-1&c=99999999999999999999&d=&e=1x");
  EXPECT_EQ(query_uint(q, "a", 0), 10u);
  EXPECT_EQ(query_uint(q, "missing", 7), 7u);
  for (const char* k : {"b", "c", "d", "e"}) EXPECT_THROW((void)query_uint(q, k, 0), ApiError) << k;
  try {
    (void)query_uint(q, "a", 0, 1, 5);
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_STREQ(e.what(), "query parameter 'a' must be between 1 and 5, got 10");
  }
}

}  // namespace
}  // namespace ofq::server
