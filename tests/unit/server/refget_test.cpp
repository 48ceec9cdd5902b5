// The refget v2 handlers without a network: Accept negotiation, Range parsing, the status
// rules and their precedence (REFGET.md 1.3), the circular cases of the suite's NC table,
// metadata / service-info bodies, CORS, the catalog-wide lookup and POST /v1/sequences.
#include "handlers/refget.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "ofq/digest.hpp"
#include "ofq/sample.hpp"
#include "ofq/server/catalog.hpp"
#include "ofq/server/digest_catalog.hpp"

namespace fs = std::filesystem;
using namespace ofq;
using namespace ofq::server;
using namespace ofq::server::refget;

namespace {

const std::string k_refget = std::string(OFQ_SOURCE_DIR) + "/data/refget";
constexpr const char* k_i_md5 = "6681ac2f62509cfc220d78751b8dc524";
constexpr const char* k_nc_md5 = "3332ed720ac7eaa9b3655c06f6b9e196";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string sequence_of(const std::string& file) {
  return normalise_sequence(slurp(file).substr(slurp(file).find('\n')));
}

std::string header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "<absent>";
}

/// A request for `target` ("/sequence/ID?start=1"), routed by hand as the Router would.
Request make(const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request q;
  q.method = "GET";
  q.target = target;
  const size_t qp = target.find('?');
  q.path = target.substr(0, qp);
  if (qp != std::string::npos) q.query = parse_query(target.substr(qp + 1));
  std::string rest = q.path.substr(std::string("/sequence/").size());
  if (rest.size() > 9 && rest.substr(rest.size() - 9) == "/metadata") rest.resize(rest.size() - 9);
  q.params["id"] = percent_decode(rest, false);
  q.headers = std::move(headers);
  return q;
}

/// The refget suite's catalog: I, VI, NC (circular), with their insdc aliases, plus a
/// soft-masked copy of NC and a record holding gaps.
class RefgetHandlers : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    std::string t = (fs::temp_directory_path() / "ofq_refget_XXXXXX").string();
    dir_ = new fs::path(::mkdtemp(t.data()));
    for (const char* f : {"I.faa", "VI.faa", "NC.faa"}) fs::copy_file(k_refget + "/" + f, *dir_ / f);
    std::string nc = slurp(k_refget + "/NC.faa");
    for (size_t i = nc.find('\n'); i < nc.size(); i += 3)
      nc[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(nc[i])));
    std::ofstream(*dir_ / "masked.fa") << nc;
    std::ofstream(*dir_ / "gaps.fa") << ">g\nACGT-ACGT\n>plain\nACGT\n";
    digests_ = new DigestCatalog(DigestCatalogOptions{true, 2, false});
    digests_->add_alias("insdc:BK006935.2", "I", "I");
    digests_->add_alias("insdc:CP036473.1", "VI", "VI");
    digests_->add_alias("insdc:NC_001422.1", "NC", "NC_001422.1");
    digests_->add_alias("refseq:MASKED.1", "MASKED", "NC_001422.1");
    digests_->add_alias("test:g", "GAPS", "g");
    digests_->add_alias("test:missing", "GAPS", "nope");
    digests_->add_sample("I", Sample::open((*dir_ / "I.faa").string()));
    digests_->add_sample("VI", Sample::open((*dir_ / "VI.faa").string()));
    digests_->add_sample("NC", Sample::open((*dir_ / "NC.faa").string()), {"NC_001422.1"});
    digests_->add_sample("MASKED", Sample::open((*dir_ / "masked.fa").string()));
    digests_->add_sample("GAPS", Sample::open((*dir_ / "gaps.fa").string()));
  }
  static void TearDownTestSuite() {
    delete digests_;
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
  }
  static Response get(const std::string& target,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request q = make(target, std::move(headers));
    if (q.path == "/sequence/service-info") return service_info(q, *digests_);
    if (q.path.size() > 9 && q.path.substr(q.path.size() - 9) == "/metadata") return metadata(q, *digests_);
    return sequence(q, *digests_);
  }
  static inline fs::path* dir_ = nullptr;
  static inline DigestCatalog* digests_ = nullptr;
};

}  // namespace

// ---- pure pieces ------------------------------------------------------------------------

TEST(RefgetNegotiate, WhatTheSuiteSends) {
  const std::string plain = "text/vnd.ga4gh.refget.v2.0.0+plain; charset=us-ascii";
  const std::string json = "application/vnd.ga4gh.refget.v2.0.0+json; charset=us-ascii";
  EXPECT_EQ(negotiate("", Body::sequence), plain);
  EXPECT_EQ(negotiate("*/*", Body::sequence), plain);
  EXPECT_EQ(negotiate("text/vnd.ga4gh.refget.v1.0.0+plain", Body::sequence), plain);
  EXPECT_EQ(negotiate("text/vnd.ga4gh.refget.v1.0.0+plain,text/vnd.ga4gh.refget.v2.0.0+plain",
                      Body::sequence),
            plain);
  EXPECT_EQ(negotiate("text/vnd.ga4gh.refget.v2.0.0+plain; charset=us-ascii", Body::sequence), plain);
  EXPECT_EQ(negotiate("text/*;q=0.5", Body::sequence), plain);
  EXPECT_EQ(negotiate("text/plain", Body::sequence), "text/plain; charset=us-ascii");
  EXPECT_EQ(negotiate("embl/some_json", Body::sequence), std::nullopt);
  EXPECT_EQ(negotiate("application/json", Body::sequence), std::nullopt);
  EXPECT_EQ(negotiate("embl/some_json, */*", Body::sequence), plain);

  EXPECT_EQ(negotiate("", Body::json), json);
  EXPECT_EQ(negotiate("*/*", Body::json), json);
  EXPECT_EQ(negotiate("application/vnd.ga4gh.refget.v1.0.0+json,application/vnd.ga4gh.refget.v2.0.0+json",
                      Body::json),
            json);
  EXPECT_EQ(negotiate("application/json", Body::json), "application/json");
  EXPECT_EQ(negotiate("APPLICATION/JSON; charset=utf-8", Body::json), "application/json");
  EXPECT_EQ(negotiate("embl/some_json", Body::json), std::nullopt);
  EXPECT_EQ(negotiate("text/plain", Body::json), std::nullopt);
}

TEST(RefgetRange, OnlyBytesFirstLast) {
  auto r = parse_range("bytes=10-19");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 10u);
  EXPECT_EQ(r->last, 19u);
  r = parse_range("bytes=0-0");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 0u);
  EXPECT_EQ(r->last, 0u);
  for (const char* bad : {"units=20-30", "bytes=ab-19", "bytes=-10--19", "bytes=10--19", "bytes=-10-",
                          "bytes==10-19", "bytes=10-", "bytes=-10", "bytes=1-2,4-5", "bytes=",
                          "bytes=99999999999999999999-1", ""})
    EXPECT_FALSE(parse_range(bad)) << bad;
}

namespace {
Plan plan(uint64_t len, bool circular, std::optional<std::string_view> s,
          std::optional<std::string_view> e, std::optional<std::string_view> range = std::nullopt,
          bool supported = true) {
  PlanInput in;
  in.length = len;
  in.circular = circular;
  in.circular_supported = supported;
  in.start = s;
  in.end = e;
  in.range = range;
  return plan_subsequence(in);
}
using Pieces = std::vector<std::pair<uint64_t, uint64_t>>;
}  // namespace

TEST(RefgetPlan, StartEnd) {
  Plan p = plan(230218, false, "10", "20");
  EXPECT_EQ(p.status, 200u);
  EXPECT_EQ(p.pieces, (Pieces{{10, 20}}));
  EXPECT_TRUE(p.subsequence);
  EXPECT_EQ(plan(230218, false, "10", std::nullopt).pieces, (Pieces{{10, 230218}}));
  EXPECT_EQ(plan(230218, false, std::nullopt, "5").pieces, (Pieces{{0, 5}}));
  EXPECT_EQ(plan(230218, false, std::nullopt, std::nullopt).pieces, (Pieces{{0, 230218}}));
  EXPECT_FALSE(plan(230218, false, std::nullopt, std::nullopt).subsequence);
  p = plan(230218, false, "0", "230218");
  EXPECT_EQ(p.status, 200u);
  EXPECT_EQ(p.size(), 230218u);
  p = plan(230218, false, "7", "7");
  EXPECT_EQ(p.status, 200u);
  EXPECT_EQ(p.size(), 0u);
}

TEST(RefgetPlan, StatusRulesAndPrecedence) {
  // 400: both kinds at once, parse failures.
  EXPECT_EQ(plan(5386, true, "10", std::nullopt, "bytes=1-2").status, 400u);
  EXPECT_EQ(plan(5386, true, std::nullopt, "10", "bytes=zz").status, 400u);
  EXPECT_EQ(plan(5386, true, "abc", std::nullopt).status, 400u);
  EXPECT_EQ(plan(5386, true, "-10", "-29").status, 400u);
  EXPECT_EQ(plan(5386, true, "", "5").status, 400u);
  EXPECT_EQ(plan(5386, true, "1.5", "5").status, 400u);
  // 416: bounds, checked before start > end.
  EXPECT_EQ(plan(230218, false, "230218", std::nullopt).status, 416u);
  EXPECT_EQ(plan(230218, false, "0", "230219").status, 416u);
  EXPECT_EQ(plan(5386, true, "5386", "5").status, 416u);
  EXPECT_EQ(plan(5386, true, "5386", "5", std::nullopt, false).status, 416u);
  // start > end: 416 on a linear sequence, 501 when circular is not supported.
  EXPECT_EQ(plan(230218, false, "220218", "671").status, 416u);
  EXPECT_EQ(plan(230218, false, "220218", "671", std::nullopt, false).status, 501u);
  EXPECT_EQ(plan(5386, true, "5374", "5", std::nullopt, false).status, 501u);
}

TEST(RefgetPlan, CircularWrap) {
  Plan p = plan(5386, true, "5374", "5");
  EXPECT_EQ(p.status, 200u);
  EXPECT_EQ(p.pieces, (Pieces{{5374, 5386}, {0, 5}}));
  EXPECT_EQ(p.size(), 17u);
  p = plan(5386, true, "5374", "0");
  EXPECT_EQ(p.pieces, (Pieces{{5374, 5386}}));
  EXPECT_EQ(p.size(), 12u);
  EXPECT_EQ(plan(5386, true, "5380", "25").size(), 31u);
}

TEST(RefgetPlan, Ranges) {
  Plan p = plan(230218, false, std::nullopt, std::nullopt, "bytes=10-999999");
  EXPECT_EQ(p.status, 206u);
  EXPECT_TRUE(p.ranged);
  EXPECT_EQ(p.pieces, (Pieces{{10, 230218}}));
  EXPECT_EQ(p.size(), 230208u);
  p = plan(5386, true, std::nullopt, std::nullopt, "bytes=0-5385");
  EXPECT_EQ(p.status, 206u);
  EXPECT_EQ(p.size(), 5386u);
  EXPECT_EQ(plan(5386, true, std::nullopt, std::nullopt, "bytes=5-14").pieces, (Pieces{{5, 15}}));
  EXPECT_EQ(plan(5386, true, std::nullopt, std::nullopt, "bytes=5385-5385").size(), 1u);
  EXPECT_EQ(plan(5386, true, std::nullopt, std::nullopt, "bytes=5386-5387").status, 416u);
  EXPECT_EQ(plan(5386, true, std::nullopt, std::nullopt, "bytes=5200-19").status, 416u);
  EXPECT_EQ(plan(5386, true, std::nullopt, std::nullopt, "bytes=9999-99999").status, 416u);
  EXPECT_EQ(plan(0, false, std::nullopt, std::nullopt, "bytes=0-0").status, 416u);
}

TEST(RefgetPlan, SubsequenceLimit) {
  PlanInput in;
  in.length = 1000;
  in.start = "0";
  in.end = "101";
  in.limit = 100;
  EXPECT_EQ(plan_subsequence(in).status, 416u);
  in.end = "100";
  EXPECT_EQ(plan_subsequence(in).status, 200u);
}

// ---- handlers over the suite's sequences -----------------------------------------------

TEST_F(RefgetHandlers, WholeSequenceAllIdForms) {
  const std::string nc = sequence_of(k_refget + "/NC.faa");
  ASSERT_EQ(nc.size(), 5386u);
  for (std::string id : {std::string(k_nc_md5), "md5:" + std::string(k_nc_md5),
                         std::string("ga4gh:SQ.IIXILYBQCpHdC4qpI3sOQ_HAeAm9bmeF"),
                         std::string("SQ.IIXILYBQCpHdC4qpI3sOQ_HAeAm9bmeF"),
                         std::string("2085c82d80500a91dd0b8aa9237b0e43f1c07809bd6e6785"),
                         std::string("trunc512:2085c82d80500a91dd0b8aa9237b0e43f1c07809bd6e6785"),
                         std::string("insdc:NC_001422.1")}) {
    Response r = get("/sequence/" + id);
    EXPECT_EQ(r.status, 200u) << id;
    EXPECT_EQ(r.body, nc) << id;
    EXPECT_EQ(r.content_type, "text/vnd.ga4gh.refget.v2.0.0+plain; charset=us-ascii");
    EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "*");
  }
}

TEST_F(RefgetHandlers, SubsequencesAndCircularTable) {
  const std::string i = sequence_of(k_refget + "/I.faa");
  Response r = get("/sequence/" + std::string(k_i_md5) + "?start=10&end=20");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, i.substr(10, 10));
  EXPECT_EQ(header(r, "Accept-Ranges"), "none");
  r = get("/sequence/" + std::string(k_i_md5) + "?&end=5");
  EXPECT_EQ(r.body, i.substr(0, 5));
  r = get("/sequence/" + std::string(k_i_md5) + "?start=230210");
  EXPECT_EQ(r.body, i.substr(230210));
  r = get("/sequence/" + std::string(k_i_md5) + "?start=0&end=0");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "");

  const std::string nc_md5(k_nc_md5);
  r = get("/sequence/" + nc_md5 + "?start=5374&end=5");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "ATCCAACCTGCAGAGTT");
  r = get("/sequence/" + nc_md5 + "?start=5374&end=0");
  EXPECT_EQ(r.body, "ATCCAACCTGCA");
  r = get("/sequence/" + nc_md5 + "?start=5380&end=25");
  const std::string nc = sequence_of(k_refget + "/NC.faa");
  EXPECT_EQ(r.body, nc.substr(5380) + nc.substr(0, 25));
  EXPECT_EQ(r.body.size(), 31u);
  EXPECT_EQ(get("/sequence/" + nc_md5 + "?start=5386&end=5").status, 416u);
  EXPECT_EQ(get("/sequence/" + std::string(k_i_md5) + "?start=220218&end=671").status, 416u);
}

TEST_F(RefgetHandlers, RangeRequests) {
  const std::string i = sequence_of(k_refget + "/I.faa");
  Response r = get("/sequence/" + std::string(k_i_md5), {{"range", "bytes=10-999999"}});
  EXPECT_EQ(r.status, 206u);
  EXPECT_EQ(r.body.size(), 230208u);
  EXPECT_EQ(r.body, i.substr(10));
  EXPECT_EQ(header(r, "Content-Range"), "bytes 10-230217/230218");
  r = get("/sequence/" + std::string(k_i_md5), {{"range", "bytes=5-14"}, {"accept", "text/vnd.ga4gh.refget.v1.0.0+plain"}});
  EXPECT_EQ(r.status, 206u);
  EXPECT_EQ(r.body, i.substr(5, 10));
  EXPECT_EQ(get("/sequence/" + std::string(k_nc_md5), {{"range", "bytes=5386-5387"}}).status, 416u);
  EXPECT_EQ(get("/sequence/" + std::string(k_nc_md5), {{"range", "units=20-30"}}).status, 400u);
  EXPECT_EQ(get("/sequence/" + std::string(k_nc_md5) + "?start=1", {{"range", "bytes=1-2"}}).status, 400u);
}

TEST_F(RefgetHandlers, ErrorsAndTheirPrecedence) {
  Response r = get("/sequence/Garbagechecksum");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(get("/sequence/some1111garbage1111ID/metadata").status, 404u);
  EXPECT_EQ(get("/sequence/" + std::string(32, 'a')).status, 404u);
  EXPECT_EQ(get("/sequence/insdc:UNKNOWN.1").status, 404u);
  EXPECT_EQ(get("/sequence/" + std::string(k_i_md5), {{"accept", "embl/some_json"}}).status, 406u);
  EXPECT_EQ(get("/sequence/" + std::string(k_i_md5) + "/metadata", {{"accept", "embl/some_json"}}).status, 406u);
  EXPECT_EQ(get("/sequence/service-info", {{"accept", "embl/some_json"}}).status, 406u);
  // 406 before 400 before 416.
  EXPECT_EQ(get("/sequence/" + std::string(k_i_md5) + "?start=abc", {{"accept", "embl/x"}}).status, 406u);
  EXPECT_EQ(get("/sequence/" + std::string(k_i_md5) + "?start=abc").status, 400u);
  EXPECT_EQ(get("/sequence/" + std::string(k_i_md5) + "?start=-10&end=-29").status, 400u);
  EXPECT_EQ(get("/sequence/" + std::string(k_i_md5) + "?start=230218").status, 416u);
  EXPECT_EQ(get("/sequence/" + std::string(k_i_md5) + "?end=230219").status, 416u);
}

TEST_F(RefgetHandlers, SoftMaskedIsOneSequenceWithNcAndUppercased) {
  // MASKED holds NC's bases in mixed case: the same digests, so the same sequence; it
  // resolves to NC (first in catalog order) and carries both samples' aliases.
  Response r = get("/sequence/refseq:MASKED.1?start=0&end=12");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "GAGTTTTATCGC");
  r = get("/sequence/" + std::string(k_nc_md5) + "/metadata");
  ASSERT_EQ(r.status, 200u);
  const auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["metadata"]["aliases"],
            nlohmann::json::parse(R"([{"alias":"NC_001422.1","naming_authority":"insdc"},
                                      {"alias":"MASKED.1","naming_authority":"refseq"}])"));
  const DigestLookup l = digests_->find(k_nc_md5);
  ASSERT_EQ(l.status, DigestLookup::Status::found);
  EXPECT_EQ(l.ref.sample_id, "NC");
  EXPECT_TRUE(l.ref.circular);
}

TEST_F(RefgetHandlers, RecordsWithGapsAreNotServed) {
  Response r = get("/sequence/test:g");
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(r.body.find("holds '-', '.' or '*'"), std::string::npos) << r.body;
  EXPECT_EQ(get("/sequence/test:missing").status, 404u);
  auto d = digests_->digest_of("GAPS", 0);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->state, DigestState::not_served);
  d = digests_->digest_of("GAPS", 1);
  ASSERT_TRUE(d);
  EXPECT_EQ(md5_hex(d->digest.md5), "f1f8f4bf413b16ad135722aa4591043e");
  EXPECT_EQ(get("/sequence/SQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2").body, "ACGT");
}

TEST_F(RefgetHandlers, Metadata) {
  Response r = get("/sequence/" + std::string(k_i_md5) + "/metadata",
                   {{"accept", "application/vnd.ga4gh.refget.v1.0.0+json,application/vnd.ga4gh.refget.v2.0.0+json"}});
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/vnd.ga4gh.refget.v2.0.0+json; charset=us-ascii");
  EXPECT_EQ(nlohmann::json::parse(r.body), nlohmann::json::parse(R"({"metadata": {
      "id": "SQ.lZyxiD_ByprhOUzrR1o1bq0ezO_1gkrn",
      "md5": "6681ac2f62509cfc220d78751b8dc524",
      "ga4gh": "SQ.lZyxiD_ByprhOUzrR1o1bq0ezO_1gkrn",
      "trunc512": "959cb1883fc1ca9ae1394ceb475a356ead1ecceff5824ae7",
      "length": 230218,
      "aliases": [{"alias": "BK006935.2", "naming_authority": "insdc"}]}})"));
  EXPECT_EQ(get("/sequence/insdc:BK006935.2/metadata").body, r.body);
  EXPECT_EQ(get("/sequence/" + std::string(k_i_md5) + "/metadata", {{"accept", "application/json"}}).content_type,
            "application/json");
}

TEST_F(RefgetHandlers, ServiceInfo) {
  Response r = get("/sequence/service-info");
  ASSERT_EQ(r.status, 200u);
  const auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["type"], nlohmann::json::parse(R"({"group":"org.ga4gh","artifact":"refget","version":"2.0.0"})"));
  EXPECT_EQ(j["refget"], nlohmann::json::parse(R"({"circular_supported": true,
      "algorithms": ["md5", "ga4gh", "trunc512"], "identifier_types": ["insdc", "refseq", "test"],
      "subsequence_limit": null})"));
  EXPECT_TRUE(j.contains("id") && j.contains("name") && j.contains("organization") && j.contains("version"));
}

TEST_F(RefgetHandlers, Preflight) {
  Request q = make("/sequence/" + std::string(k_i_md5), {{"access-control-request-headers", "range"}});
  q.method = "OPTIONS";
  Response r = preflight(q);
  EXPECT_EQ(r.status, 204u);
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(header(r, "Access-Control-Allow-Methods"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(header(r, "Access-Control-Allow-Headers"), "range");
}

namespace {
std::string run_stream(const Response& r) {
  if (!r.streaming()) return r.body;
  StringSink sink;
  r.stream(sink);
  return sink.data;
}
}  // namespace

TEST_F(RefgetHandlers, LongAnswersStreamWithTheirLength) {
  Options opt;
  opt.max_buffered_bases = 100;
  const std::string nc = sequence_of(k_refget + "/NC.faa");
  Response r = sequence(make("/sequence/" + std::string(k_nc_md5) + "?start=5000&end=4000"), *digests_, opt);
  ASSERT_TRUE(r.streaming());
  EXPECT_EQ(header(r, "Content-Length"), "4386");
  EXPECT_EQ(run_stream(r), nc.substr(5000) + nc.substr(0, 4000));
  // The soft-masked copy streams uppercase too.
  r = sequence(make("/sequence/refseq:MASKED.1"), *digests_, opt);
  ASSERT_TRUE(r.streaming());
  EXPECT_EQ(run_stream(r), nc);
}

TEST_F(RefgetHandlers, V1SequencesByDigest) {
  Request q;
  q.method = "POST";
  q.body = R"({"positions": [{"digest": "md5:3332ed720ac7eaa9b3655c06f6b9e196", "start": 0, "end": 5},
                             ["SQ.lZyxiD_ByprhOUzrR1o1bq0ezO_1gkrn", 0, 4, "reverse_complement"],
                             {"digest": "insdc:NC_001422.1", "start": 5380, "end": 6000}],
               "format": "csv"})";
  Response r = v1_sequences(q, *digests_);
  EXPECT_EQ(r.status, 200u);
  const std::string nc = sequence_of(k_refget + "/NC.faa");
  EXPECT_EQ(run_stream(r),
            "id,start,end,type,sequence\n"
            "md5:3332ed720ac7eaa9b3655c06f6b9e196,0,5,raw,GAGTT\n"
            "SQ.lZyxiD_ByprhOUzrR1o1bq0ezO_1gkrn,0,4,reverse_complement,GTGG\n"
            "insdc:NC_001422.1,5380,6000,raw," + nc.substr(5380) + "\n");

  q.body = R"({"positions": [{"digest": "Garbage", "start": 0, "end": 5},
                             {"digest": "md5:3332ed720ac7eaa9b3655c06f6b9e196", "start": 9, "end": 5},
                             {"digest": "md5:3332ed720ac7eaa9b3655c06f6b9e196", "start": 0, "end": 5}]})";
  try {
    (void)v1_sequences(q, *digests_);
    FAIL() << "no error";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 422u);
    ASSERT_EQ(e.rows().size(), 2u);
    EXPECT_EQ(e.rows()[0].row, 0u);
    EXPECT_EQ(e.rows()[1].row, 1u);
    EXPECT_EQ(e.rows()[1].reason, "start 9 > end 5");
  }
  q.body = "{nope";
  EXPECT_THROW((void)v1_sequences(q, *digests_), ApiError);
}

// ---- the background pass over a catalog ------------------------------------------------

TEST(RefgetCatalog, PendingWhileIndexingThenFound) {
  std::string t = (fs::temp_directory_path() / "ofq_refcat_XXXXXX").string();
  const fs::path dir = ::mkdtemp(t.data());
  fs::copy_file(k_refget + "/NC.faa", dir / "NC.faa");
  std::ofstream(dir / "topology.tsv") << "sample_id\tsequence_id\ttopology\nNC\tNC_001422.1\tcircular\n";
  std::ofstream(dir / "aliases.tsv") << "alias\tsample_id\tsequence_id\ninsdc:NC_001422.1\tNC\tNC_001422.1\n";
  CatalogOptions co;
  co.log = false;
  auto catalog = Catalog::load(dir.string(), co);
  DigestCatalog digests(*catalog, DigestCatalogOptions{true, 2, false});
  // Nothing is indexed yet: any id might belong to a record not hashed yet.
  Request q = make("/sequence/" + std::string(k_nc_md5));
  Response r = sequence(q, digests);
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(header(r, "Retry-After"), "5");
  EXPECT_FALSE(digests.complete());

  catalog->start_indexing();
  digests.start();
  ASSERT_TRUE(catalog->wait_until_indexed(std::chrono::seconds(30)));
  for (int i = 0; i < 600 && !digests.complete(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(digests.complete());
  q = make("/sequence/insdc:NC_001422.1?start=5374&end=5");
  r = sequence(q, digests);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "ATCCAACCTGCAGAGTT");
  EXPECT_EQ(sequence(make("/sequence/Garbagechecksum"), digests).status, 404u);
  EXPECT_EQ(sequence(make("/sequence/" + std::string(32, 'b')), digests).status, 404u);
  // The table reaches the catalog entry (the /v1 records listing).
  auto table = catalog->find("NC")->digests();
  ASSERT_TRUE(table);
  EXPECT_EQ(md5_hex(table->records[0].digest.md5), k_nc_md5);
  digests.stop();
  std::error_code ec;
  fs::remove_all(dir, ec);
}
