// Reading positions from JSON bodies (src/server/positions_json.cpp).
#include "ofq/server/positions_json.hpp"

#include <gtest/gtest.h>

#include "ofq/server/http.hpp"

namespace ofq::server {
namespace {

std::vector<PositionItem> items(const std::string& body, uint64_t max = 100) {
  std::vector<PositionItem> out;
  read_positions(body, max, [&](uint64_t row, PositionItem& it) {
    EXPECT_EQ(row, out.size());
    out.push_back(it);
  });
  return out;
}

TEST(PositionsJson, ListsAndObjects) {
  auto v = items(R"({"format": "csv", "positions": [["a", 1, 5], ["b", 0, 18446744073709551615, "reverse_complement"],
                     {"type": "complement", "end": 9, "start": 2, "id": "c"}]})");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].pos.id, "a");
  EXPECT_EQ(v[0].pos.start, 1u);
  EXPECT_EQ(v[0].pos.end, 5u);
  EXPECT_EQ(v[0].pos.type, SeqType::raw);
  EXPECT_EQ(v[1].pos.end, UINT64_MAX);
  EXPECT_EQ(v[1].pos.type, SeqType::reverse_complement);
  EXPECT_EQ(v[2].pos.id, "c");
  EXPECT_EQ(v[2].pos.type, SeqType::complement);
  for (const auto& i : v) EXPECT_EQ(i.reason, "");
}

TEST(PositionsJson, RowReasons) {
  auto v = items(R"({"positions": [["a", -1, 5], ["a", 1.0, 5], ["a", 1, "5"], ["a", 1, 5, "Raw"], [1, 2, 3],
                     ["a", 1], {"id": "a", "start": 1}, {"id": "a", "start": 1, "end": 2, "x": 1}, null,
                     ["a", 1, 18446744073709551616]]})");
  std::vector<std::string> reasons;
  for (const auto& i : v) reasons.push_back(i.reason);
  EXPECT_EQ(reasons, (std::vector<std::string>{
                         "start must be >= 0, found '-1'",
                         "start must be a whole number, found '1.0'",
                         "end must be a whole number >= 0, found '\"5\"'",
                         "unknown type 'Raw': expected raw, complement or reverse_complement",
                         "id must be a string, found '1'",
                         "expected [id, start, end] or [id, start, end, type], found 2 item(s)",
                         "missing end",
                         "unknown key 'x': expected id, start, end, type",
                         "a position must be [id, start, end(, type)] or an object, found 'null'",
                         "end is too large (at most 18446744073709551615), found '18446744073709551616'"}));
}

TEST(PositionsJson, BodyErrors) {
  auto status = [](const std::string& body) {
    try {
      (void)read_body_fields(body, {"format"});
      (void)items(body);
      return 0u;
    } catch (const ApiError& e) {
      return e.status();
    }
  };
  EXPECT_EQ(status(R"({"positions": [["a", 1, 2]]})"), 0u);
  EXPECT_EQ(status(R"({"positions": [)"), 400u);
  EXPECT_EQ(status(R"([])"), 400u);
  EXPECT_EQ(status(R"({"positions": {}})"), 400u);
  EXPECT_EQ(status(R"({"format": 1, "positions": []})"), 400u);
  EXPECT_EQ(status(R"({"other": "x", "positions": []})"), 400u);
  EXPECT_EQ(status("{\"positions\": [[\"\xc3\x28\", 1, 2]]}"), 400u);
  EXPECT_EQ(status(R"({"format": "x"})"), 400u);
  try {
    (void)items(R"({"positions": [["a",1,2],["a",1,2],["a",1,2]]})", 2);
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 413u);
    EXPECT_EQ(e.code(), "too_large");
  }
  auto f = read_body_fields(R"({"storage_key": "a/b.gz", "positions": [], "format": "fasta"})",
                            {"storage_key", "format"});
  EXPECT_TRUE(f.has_positions);
  EXPECT_EQ(f.strings.at("storage_key"), "a/b.gz");
  EXPECT_EQ(f.strings.at("format"), "fasta");
  EXPECT_EQ(f.positions, 0u);
  EXPECT_EQ(read_body_fields(R"({"positions": [["a", 1, 2], {"id": "b"}, 7]})", {}, true).positions, 3u);
}

TEST(PositionsJson, BodyMessages) {
  auto message = [](const std::string& body) {
    try {
      (void)read_body_fields(body, {"format", "sample_id"});
      return std::string("accepted");
    } catch (const ApiError& e) {
      return e.status() == 400 ? std::string(e.what()) : "status " + std::to_string(e.status());
    }
  };
  EXPECT_EQ(message(R"({"positions": []}{"positions": []})"), "malformed JSON (text follows the body's object)");
  EXPECT_EQ(message(R"({"positions": []} x)"),
            "malformed JSON (an object or array is not closed, or text follows the body's object)");
  EXPECT_EQ(message(R"({"positions": [)"),
            "malformed JSON (an object or array is not closed, or text follows the body's object)");
  EXPECT_EQ(message(R"({"sample_id": "A", "positions": [], "sample_id": "B"})"),
            "member 'sample_id' is given twice in the body");
  EXPECT_EQ(message(R"({"positions": [], "positions": []})"), "member 'positions' is given twice in the body");
  EXPECT_EQ(message("{\"positions\": []}  \n"), "accepted");
}

TEST(PositionsJson, EscapedNamesAndRepeatedKeys) {
  // An escaped member name is the same name to both readers of the body.
  auto got = items(R"({"po\u0073itions": [["a", 1, 2]]})");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].pos.id, "a");
  EXPECT_EQ(read_body_fields(R"({"po\u0073itions": [["a", 1, 2]]})", {}, true).positions, 1u);
  auto twice = items(R"({"positions": [{"id": "a", "id": "b", "start": 0, "end": 5}, {"id": "c", "start": 0, "start": 3, "end": 5}]})");
  ASSERT_EQ(twice.size(), 2u);
  EXPECT_EQ(twice[0].reason, "key 'id' is given twice");
  EXPECT_EQ(twice[1].reason, "key 'start' is given twice");
}

}  // namespace
}  // namespace ofq::server
