// The gateway without sockets: tokens, rate limit, CORS, gzip (whole and streamed), the
// answer-bytes limit, and the metrics it records.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "ofq/server/gateway.hpp"

namespace fs = std::filesystem;

namespace ofq::server {
namespace {

std::string gunzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  std::string result;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&z, Z_NO_FLUSH);
    result.append(out.data(), out.size() - z.avail_out);
  } while (rc == Z_OK);
  EXPECT_EQ(rc, Z_STREAM_END);
  inflateEnd(&z);
  return result;
}

std::string header(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

std::string big_text() {
  std::string s;
  for (int i = 0; i < 2000; ++i) s += "ACGTACGGTTAACG";
  return s;
}

struct Front {
  explicit Front(GatewayOptions o) {
    o.access_log = false;
    Router r;
    r.add("GET", "/healthz", [](Request&) { return json_response("{\"status\":\"ok\"}\n"); });
    r.add("GET", "/small", [](Request&) { return text_response("ACGT", "text/plain"); });
    r.add("GET", "/big", [](Request&) { return text_response(big_text(), "text/plain"); });
    r.add("GET", "/stream", [](Request&) {
      Response res;
      res.content_type = "text/plain";
      res.stream = [](OutputSink& s) {
        std::string t = big_text();
        s.write(t.substr(0, 1000));
        s.write(t.substr(1000));
      };
      return res;
    });
    r.add("GET", "/v1/samples/{sample_id}", [](Request& q) { return json_response("\"" + q.param("sample_id") + "\""); });
    router = std::move(r);
    gw = std::make_unique<Gateway>(o, [this](Request& q) { return router.dispatch(q); }, router.routes(), metrics);
  }
  Response get(std::string target, std::vector<std::pair<std::string, std::string>> headers = {},
               std::string method = "GET") {
    Request q;
    q.method = std::move(method);
    q.target = std::move(target);
    q.headers = std::move(headers);
    return gw->handle(q, "127.0.0.1");
  }
  Router router;
  Metrics metrics;
  std::unique_ptr<Gateway> gw;
};

std::string run_stream(Response& r) {
  StringSink s;
  r.stream(s);
  return s.data;
}

struct TokenFile {
  TokenFile() {
    path = (fs::temp_directory_path() / ("ofq_tokens_" + std::to_string(::getpid()))).string();
    std::ofstream(path) << "# students\n\nsecret-1 alice\nsecret-2\n";
  }
  ~TokenFile() { fs::remove(path); }
  std::string path;
};

TEST(Gateway, TokensNeededButHealthzOpen) {
  TokenFile t;
  GatewayOptions o;
  o.tokens_file = t.path;
  Front s(o);
  EXPECT_EQ(s.gw->token_count(), 2u);
  auto none = s.get("/small");
  EXPECT_EQ(none.status, 401u);
  EXPECT_EQ(none.body,
            "{\"error\":\"unauthorized\",\"message\":\"this server needs a token: send Authorization: Bearer TOKEN "
            "(Python client: token= or OCEANIA_API_TOKEN)\"}\n");
  EXPECT_EQ(header(none, "WWW-Authenticate"), "Bearer realm=\"ofq\"");
  auto bad = s.get("/small", {{"authorization", "Bearer nope"}});
  EXPECT_EQ(bad.status, 401u);
  EXPECT_EQ(bad.body, "{\"error\":\"unauthorized\",\"message\":\"the token sent is not valid for this server\"}\n");
  auto ok = s.get("/small", {{"authorization", "Bearer secret-1"}});
  EXPECT_EQ(ok.status, 200u);
  EXPECT_EQ(ok.body, "ACGT");
  EXPECT_EQ(s.get("/small", {{"authorization", "bearer secret-2"}}).status, 200u);
  EXPECT_EQ(s.get("/healthz").status, 200u);
}

TEST(Gateway, TokenFileErrors) {
  EXPECT_THROW(TokenSet::load("/nonexistent/tokens"), std::runtime_error);
  auto p = (fs::temp_directory_path() / ("ofq_tokens_empty_" + std::to_string(::getpid()))).string();
  std::ofstream(p) << "# nothing\n";
  EXPECT_THROW(TokenSet::load(p), std::runtime_error);
  std::ofstream(p) << "a alice\nb bob\n\na carol\n";
  try {
    (void)TokenSet::load(p);
    ADD_FAILURE() << "a repeated token was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "--tokens " + p + ": line 4 repeats the token of line 1");
  }
  fs::remove(p);
  const auto dir = fs::temp_directory_path().string();
  try {
    (void)TokenSet::load(dir);
    ADD_FAILURE() << "a folder was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "--tokens " + dir + ": is a folder; expected a file of tokens, one a line");
  }
}

TEST(Gateway, TokensReloadedOrKept) {
  TokenFile t;
  GatewayOptions o;
  o.tokens_file = t.path;
  Front s(o);
  std::string msg;
  std::ofstream(t.path) << "fresh bob\n";
  EXPECT_TRUE(s.gw->reload_tokens(msg));
  EXPECT_EQ(msg, "--tokens " + t.path + ": 1 tokens loaded");
  EXPECT_EQ(s.get("/small", {{"authorization", "Bearer secret-1"}}).status, 401u);
  EXPECT_EQ(s.get("/small", {{"authorization", "Bearer fresh"}}).status, 200u);
  fs::remove(t.path);
  EXPECT_FALSE(s.gw->reload_tokens(msg));
  EXPECT_EQ(msg, "--tokens " + t.path + ": cannot be read; the 1 tokens loaded before stay in force");
  EXPECT_EQ(s.get("/small", {{"authorization", "Bearer fresh"}}).status, 200u);

  Front open(GatewayOptions{});
  EXPECT_FALSE(open.gw->reload_tokens(msg));
  EXPECT_EQ(msg, "no --tokens file: the server is open, nothing to reload");
}

TEST(Gateway, TransportAnswersCounted) {
  Front s(GatewayOptions{});
  s.gw->record_transport("POST", "/v1/samples/X?x=1", "10.0.0.1", 413, 90, "too_large");
  s.gw->record_transport("", "", "10.0.0.1", 400, 70, "bad_request");
  std::string text = s.metrics.render();
  EXPECT_NE(text.find("ofq_http_requests_total{route=\"/v1/samples/{sample_id}\",method=\"POST\",status=\"413\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ofq_http_requests_total{route=\"unmatched\",method=\"\",status=\"400\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ofq_http_errors_total{code=\"too_large\"} 1\n"), std::string::npos) << text;
}

TEST(Gateway, ProxiedClientIsTheLastForwardedAddress) {
  GatewayOptions o;
  o.rate = 1;
  o.trust_proxy = true;
  Front s(o);
  // A client that sends its own X-Forwarded-For gets the proxy's address appended: the
  // forged first entry must not give it a fresh bucket each time.
  EXPECT_EQ(s.get("/small", {{"x-forwarded-for", "10.0.0.1, 192.0.2.7"}}).status, 200u);
  EXPECT_EQ(s.get("/small", {{"x-forwarded-for", "10.0.0.2, 192.0.2.7"}}).status, 429u);
  EXPECT_EQ(s.get("/small", {{"x-forwarded-for", "192.0.2.8"}}).status, 200u);
  // A proxy that appends a line of its own: the last line's last address counts.
  EXPECT_EQ(s.get("/small", {{"x-forwarded-for", "10.0.0.3, 10.0.0.4"}, {"x-forwarded-for", "192.0.2.7"}}).status,
            429u);
}

TEST(Gateway, WrongTokensAreRateLimitedByAddress) {
  TokenFile t;
  GatewayOptions o;
  o.tokens_file = t.path;
  o.rate = 2;
  Front s(o);
  EXPECT_EQ(s.get("/small", {{"authorization", "Bearer guess-1"}}).status, 401u);
  EXPECT_EQ(s.get("/small", {{"authorization", "Bearer guess-2"}}).status, 401u);
  auto r = s.get("/small", {{"authorization", "Bearer guess-3"}});
  EXPECT_EQ(r.status, 429u);
  EXPECT_EQ(header(r, "Retry-After"), "1");
  // The guesser's bucket is its own: a valid token from the same address still passes.
  EXPECT_EQ(s.get("/small", {{"authorization", "Bearer secret-1"}}).status, 200u);
}

TEST(Gateway, CompressedRequestBodiesRefused) {
  Front s(GatewayOptions{});
  auto r = s.get("/small", {{"content-encoding", "gzip"}});
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.body,
            "{\"error\":\"bad_request\",\"message\":\"Content-Encoding 'gzip' request bodies are not supported: send "
            "the body uncompressed\"}\n");
  EXPECT_EQ(s.get("/small", {{"content-encoding", "identity"}}).status, 200u);
}

TEST(Gateway, RateLimitPerClient) {
  GatewayOptions o;
  o.rate = 2;
  Front s(o);
  EXPECT_EQ(s.get("/small").status, 200u);
  EXPECT_EQ(s.get("/small").status, 200u);
  auto r = s.get("/small");
  EXPECT_EQ(r.status, 429u);
  EXPECT_EQ(r.body,
            "{\"error\":\"rate_limited\",\"message\":\"more than 2 requests a second from this client (--rate); "
            "retry after the time in Retry-After\"}\n");
  EXPECT_EQ(header(r, "Retry-After"), "1");
  EXPECT_EQ(s.get("/healthz").status, 200u);  // never limited
}

TEST(Gateway, TokenBucketRefills) {
  RateLimiter l(10, 1);
  auto t = std::chrono::steady_clock::now();
  double wait = 0;
  EXPECT_TRUE(l.allow("a", t, &wait));
  EXPECT_FALSE(l.allow("a", t, &wait));
  EXPECT_DOUBLE_EQ(wait, 0.1);
  EXPECT_TRUE(l.allow("b", t, &wait));  // clients are apart
  EXPECT_TRUE(l.allow("a", t + std::chrono::milliseconds(100), &wait));
}

TEST(Gateway, ParseRate) {
  EXPECT_DOUBLE_EQ(parse_rate("20/s"), 20);
  EXPECT_DOUBLE_EQ(parse_rate("5"), 5);
  EXPECT_DOUBLE_EQ(parse_rate("600/min"), 10);
  EXPECT_THROW((void)parse_rate("fast"), std::invalid_argument);
  EXPECT_THROW((void)parse_rate("0/s"), std::invalid_argument);
  EXPECT_THROW((void)parse_rate("3/day"), std::invalid_argument);
}

TEST(Gateway, AcceptsGzip) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("deflate, gzip;q=0.5"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip(""));
}

TEST(Gateway, GzipOnlyLargeAnswersWhenAccepted) {
  Front s(GatewayOptions{});
  auto small = s.get("/small", {{"accept-encoding", "gzip"}});
  EXPECT_EQ(header(small, "Content-Encoding"), "");
  EXPECT_EQ(small.body, "ACGT");
  auto plain = s.get("/big");
  EXPECT_EQ(header(plain, "Content-Encoding"), "");
  EXPECT_EQ(plain.body, big_text());
  auto z = s.get("/big", {{"accept-encoding", "gzip, deflate"}});
  EXPECT_EQ(header(z, "Content-Encoding"), "gzip");
  EXPECT_EQ(header(z, "Vary"), "Accept-Encoding");
  EXPECT_LT(z.body.size(), big_text().size() / 4);
  EXPECT_EQ(gunzip(z.body), big_text());
}

TEST(Gateway, GzipStreamed) {
  Front s(GatewayOptions{});
  auto z = s.get("/stream", {{"accept-encoding", "gzip"}});
  ASSERT_TRUE(z.streaming());
  EXPECT_EQ(header(z, "Content-Encoding"), "gzip");
  EXPECT_EQ(gunzip(run_stream(z)), big_text());
  auto plain = s.get("/stream");
  EXPECT_EQ(run_stream(plain), big_text());
}

TEST(Gateway, AnswerLimit) {
  GatewayOptions o;
  o.max_answer_bytes = 100;
  Front s(o);
  EXPECT_EQ(s.get("/small").status, 200u);
  auto r = s.get("/big");
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(r.body,
            "{\"error\":\"too_large\",\"message\":\"the answer of 28000 bytes is over the limit of 100 bytes a request "
            "(--max-answer-bytes); ask for fewer or shorter regions (jobs have the same limit)\"}\n");
  auto st = s.get("/stream");
  StringSink sink;
  try {
    st.stream(sink);
    FAIL() << "the stream should have been refused";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 413u);
    EXPECT_EQ(std::string(e.what()),
              "the answer is over the limit of 100 bytes a request (--max-answer-bytes); ask for fewer or shorter regions (jobs have the same limit)");
  }
  EXPECT_EQ(sink.data, "");  // nothing reached the client: the transport sends the 413
}

TEST(Gateway, CorsPreflightAndHeaders) {
  TokenFile t;
  GatewayOptions o;
  o.tokens_file = t.path;
  Front s(o);
  auto pre = s.get("/v1/samples/X", {{"origin", "https://notebook.example"}, {"access-control-request-method", "GET"}},
                   "OPTIONS");
  EXPECT_EQ(pre.status, 204u);  // no token needed for a preflight
  EXPECT_EQ(header(pre, "Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(header(pre, "Access-Control-Allow-Headers"), "Authorization, Content-Type, Accept-Encoding");
  auto r = s.get("/v1/samples/X", {{"origin", "https://notebook.example"}, {"authorization", "Bearer secret-1"}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "*");
  auto no_origin = s.get("/v1/samples/X", {{"authorization", "Bearer secret-1"}});
  EXPECT_EQ(header(no_origin, "Access-Control-Allow-Origin"), "");
}

TEST(Gateway, MetricsByRoutePattern) {
  Front s(GatewayOptions{});
  (void)s.get("/v1/samples/A");
  (void)s.get("/v1/samples/B");
  (void)s.get("/nowhere");
  std::string t = s.metrics.render();
  EXPECT_NE(t.find("ofq_http_requests_total{route=\"/v1/samples/{sample_id}\",method=\"GET\",status=\"200\"} 2\n"),
            std::string::npos);
  EXPECT_NE(t.find("ofq_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("ofq_http_errors_total{code=\"not_found\"} 1\n"), std::string::npos);
  EXPECT_EQ(s.gw->route_of("/v1/samples/A?x=1"), "/v1/samples/{sample_id}");
}

}  // namespace
}  // namespace ofq::server
