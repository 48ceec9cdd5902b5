// Positions files: the original's CSV, TSV with a header, BED and region lines, with the
// exact reason for each kind of bad row.
#include <gtest/gtest.h>

#include <sstream>

#include "ofq/error.hpp"
#include "ofq/positions.hpp"

namespace ofq {
namespace {

std::vector<PositionReader::Item> read_all(const std::string& text, const std::string& name,
                                           PositionsFormat f = PositionsFormat::automatic) {
  std::istringstream in(text);
  PositionReader r(in, name, f);
  std::vector<PositionReader::Item> out;
  PositionReader::Item it;
  while (r.next(it)) out.push_back(it);
  return out;
}

TEST(Positions, OriginalCsv) {
  auto v = read_all("a,10,50,complement\n\"b,c\",0,5\n\nd,1,2,raw\r\n", "q.csv");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].pos.id, "a");
  EXPECT_EQ(v[0].pos.start, 10u);
  EXPECT_EQ(v[0].pos.end, 50u);
  EXPECT_EQ(v[0].pos.type, SeqType::complement);
  EXPECT_EQ(v[1].pos.id, "b,c");
  EXPECT_EQ(v[1].pos.type, SeqType::raw);
  EXPECT_EQ(v[2].line, 4u);
}

TEST(Positions, BadCsvRowsSayWhy) {
  auto v = read_all("a,-1,5\na,x,5\na,1\na,1,2,sideways\na,99999999999999999999999,1\n", "q.csv");
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0].reason, "start -1 is negative");
  EXPECT_EQ(v[1].reason, "start 'x' is not a whole number");
  EXPECT_EQ(v[2].reason, "expected 3 or 4 fields (sequence_id,start,end[,type]), found 2");
  EXPECT_EQ(v[3].reason, "unknown type 'sideways' (expected raw, complement or reverse_complement)");
  EXPECT_EQ(v[4].reason, "start 99999999999999999999999 is too large");
  for (auto& i : v) EXPECT_FALSE(i.ok);
  EXPECT_EQ(v[3].line, 4u);
}

TEST(Positions, TsvWithHeader) {
  auto v = read_all("id\tstart\tend\ttype\nx\t1\t3\treverse_complement\ny\t0\t2\t\n", "q.tsv");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].line, 2u);
  EXPECT_EQ(v[0].pos.type, SeqType::reverse_complement);
  EXPECT_EQ(v[1].pos.type, SeqType::raw);
  std::istringstream in("name\tfrom\nx\t1\n");
  try {
    PositionReader r(in, "bad.tsv", PositionsFormat::tsv);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "bad.tsv: line 1: a TSV positions file needs a header with columns id, start and end "
                           "(and optionally type, name); found 'name\tfrom'");
  }
}

TEST(Positions, BedStrandAndName) {
  std::istringstream in("track name=x\nchr1\t5\t9\tgeneA\t0\t-\nchr1\t0\t3\tgeneB\t0\t+\n");
  PositionReader r(in, "g.bed", PositionsFormat::automatic);
  EXPECT_TRUE(r.has_names());
  PositionReader::Item it;
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.pos.type, SeqType::reverse_complement);
  EXPECT_EQ(it.pos.name, "geneA");
  EXPECT_EQ(it.pos.start, 5u);
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.pos.type, SeqType::raw);
  EXPECT_FALSE(r.next(it));
}

TEST(Positions, RegionLinesAreOneBased) {
  auto v = read_all("chr1:11-20\n{a:b}:1-2\nchr2\n", "r.txt");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].pos.start, 10u);
  EXPECT_EQ(v[0].pos.end, 20u);
  EXPECT_EQ(v[1].pos.id, "a:b");
  EXPECT_EQ(v[2].pos.end, k_to_end);
}

TEST(Positions, TsvHeaderNamingAFieldTwiceIsRefused) {
  auto message = [](const std::string& text) {
    try {
      (void)read_all(text, "q.tsv");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message("id\tstart\tend\tend\nchr1\t0\t3\t4\n"),
            "q.tsv: line 1: the header names the end column twice (columns 3 and 4)");
  EXPECT_EQ(message("id\tsequence_id\tstart\tend\nchr1\tchr2\t0\t3\n"),
            "q.tsv: line 1: the header names the id (id or sequence_id) column twice (columns 1 and 2)");
  EXPECT_EQ(message("sequence_id\tstart\tend\ttype\tname\nchr1\t0\t3\traw\tx\n"), "accepted");
}

TEST(Positions, FormatByContentOnStdin) {
  EXPECT_EQ(read_all("a,1,2\n", "standard input")[0].pos.id, "a");
  EXPECT_EQ(read_all("id\tstart\tend\nq\t1\t2\n", "standard input")[0].pos.id, "q");
  EXPECT_EQ(read_all("c\t1\t2\n", "standard input")[0].pos.end, 2u);
}

TEST(Region, Samtools) {
  auto p = parse_region("chr1:1,000-2,000");
  EXPECT_EQ(p.start, 999u);
  EXPECT_EQ(p.end, 2000u);
  EXPECT_THROW((void)parse_region("chr1:0-5"), Error);
  try {
    (void)parse_region("chr1:9-5");
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "region 'chr1:9-5': end is before start");
  }
  auto exists = [](std::string_view n, const void*) { return n == "HLA:1"; };
  EXPECT_EQ(parse_region("HLA:1", exists, nullptr).id, "HLA:1");
  EXPECT_EQ(parse_region("HLA:1:5-6", exists, nullptr).id, "HLA:1");
}

// htslib's region forms, as `samtools faidx` 1.16 answers them (checked against samtools
// itself in tests/differential).
TEST(Region, SamtoolsFaidxForms) {
  struct Case {
    const char* text;
    SamtoolsRegion::Kind kind;
    uint64_t start, end;
    const char* why;
  };
  const uint64_t E = k_to_end;
  const Case cases[] = {
      {"c:-5", SamtoolsRegion::fetch, 0, 5, ""},
      {"c:", SamtoolsRegion::fetch, 0, E, ""},
      {"c:0", SamtoolsRegion::fetch, 0, E, ""},
      {"c:-0", SamtoolsRegion::fetch, 0, E, ""},
      {"c:+5", SamtoolsRegion::fetch, 4, E, ""},
      {"c:5-", SamtoolsRegion::fetch, 4, E, ""},
      {"c:5-0", SamtoolsRegion::fetch, 4, E, ""},
      {"c:+5-+8", SamtoolsRegion::fetch, 4, 8, ""},
      {"c: 5- 8", SamtoolsRegion::fetch, 4, 8, ""},
      {"c:1,0-2,0", SamtoolsRegion::fetch, 9, 20, ""},
      {"c:1.5k-2k", SamtoolsRegion::fetch, 1499, 2000, ""},
      {"c:1.2345k-1235", SamtoolsRegion::fetch, 1233, 1235, ""},
      {"c:1e3-1.002e3", SamtoolsRegion::fetch, 999, 1002, ""},
      {"c:.5k-1M", SamtoolsRegion::fetch, 499, 1000000, ""},
      {"c:1e", SamtoolsRegion::fetch, 0, E, ""},
      {"c:-1.5k", SamtoolsRegion::fetch, 0, 1500, ""},
      {"c:5.-8", SamtoolsRegion::fetch, 4, 8, ""},
      {"c:0-5", SamtoolsRegion::empty, 0, E, ""},
      {"c:-", SamtoolsRegion::empty, 0, E, ""},
      {"c:5-3", SamtoolsRegion::invalid, 0, E, "the end is before the start"},
      {"c:5--8", SamtoolsRegion::invalid, 0, E, "the end is before the start"},
      {"c:--5", SamtoolsRegion::invalid, 0, E, "the end is before the start"},
      {"c:-5-8", SamtoolsRegion::invalid, 0, E, "coordinates must be > 0"},
      {"c:5-8x", SamtoolsRegion::invalid, 0, E, "unexpected 'x' after the range"},
      {"c:5 -8", SamtoolsRegion::invalid, 0, E, "unexpected ' -8' after the start"},
      {"c:1k5", SamtoolsRegion::invalid, 0, E, "unexpected '5' after the start"},
      {"c:+-5", SamtoolsRegion::invalid, 0, E, "unexpected '+-5' after the start"},
      {"c:1e-3k", SamtoolsRegion::invalid, 0, E, "unexpected 'k' after the start"},
      {"c:18446744073709551617-", SamtoolsRegion::invalid, 0, E, "the start is too large"},
      {"{c:1}:2-3", SamtoolsRegion::fetch, 1, 3, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = parse_samtools_region(c.text, nullptr, nullptr);
    EXPECT_EQ(r.kind, c.kind);
    EXPECT_EQ(r.why, c.why);
    if (c.kind == SamtoolsRegion::fetch) {
      EXPECT_EQ(r.pos.start, c.start);
      EXPECT_EQ(r.pos.end, c.end);
    }
  }
  EXPECT_EQ(parse_samtools_region("{c:1}:2-3", nullptr, nullptr).pos.id, "c:1");
  auto exists = [](std::string_view n, const void*) { return n == "HLA:1-5"; };
  auto whole = parse_samtools_region("HLA:1-5", exists, nullptr);
  EXPECT_EQ(whole.pos.id, "HLA:1-5");
  EXPECT_EQ(whole.pos.end, E);
}

}  // namespace
}  // namespace ofq
