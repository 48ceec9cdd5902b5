// Fetching: complement table, case, RNA, protein refusal, clamping, and every region of
// files with each kind of line geometry compared with the bases written.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "engine_test_util.hpp"
#include "ofq/error.hpp"
#include "ofq/sample.hpp"

namespace ofq {
namespace {

using test::get;
using test::ScratchDir;

TEST(Complement, TableOfSemanticsKeepsCase) {
  ScratchDir d;
  auto s = Sample::open(d.file("c.fa", ">x\nACGTURYSWKMBDHVNacgturyswkmbdhvn-.*\n"));
  EXPECT_EQ(get(*s, "x", 0, 35, SeqType::complement), "TGCAAYRSWMKVHDBNtgcaayrswmkvhdbn-.*");
  EXPECT_EQ(get(*s, "x", 0, 35, SeqType::reverse_complement), "*.-nbdhvkmwsryaacgtNBDHVKMWSRYAACGT");
  EXPECT_EQ(get(*s, "x", 0, 5, SeqType::reverse_complement), "AACGT");
}

TEST(Complement, RnaStaysRna) {
  ScratchDir d;
  auto s = Sample::open(d.file("r.fa", ">r\nAUGGCu\n"));
  EXPECT_EQ(get(*s, "r", 0, 6, SeqType::complement), "UACCGa");
  EXPECT_EQ(get(*s, "r", 0, 6, SeqType::reverse_complement), "aGCCAU");
}

TEST(Complement, ProteinIsRefusedRawWorks) {
  ScratchDir d;
  auto s = Sample::open(d.file("p.fa", ">p\nMKWVTF\n"));
  EXPECT_EQ(get(*s, "p", 0, 6), "MKWVTF");
  try {
    (void)get(*s, "p", 0, 6, SeqType::complement);
    FAIL() << "complement of protein accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::not_nucleic);
    EXPECT_STREQ(e.what(),
                 "record 'p' is a protein sequence ('F' at position 5 is not a nucleotide): complement "
                 "needs DNA or RNA");
  }
}

TEST(Bounds, EndIsClampedStartPastEndIsEmpty) {
  ScratchDir d;
  auto s = Sample::open(d.file("b.fa", ">x\nACGTA\nCG\n"));
  EXPECT_EQ(get(*s, "x", 3, 1000), "TACG");
  EXPECT_EQ(get(*s, "x", 7, 9), "");
  EXPECT_EQ(get(*s, "x", 4, 4), "");
}

// Writes records of random bases with the given line layout and checks every kind of region.
void check_layout(const std::string& name, unsigned width, const char* eol, bool trailing_space,
                  bool blank_lines) {
  ScratchDir d;
  std::mt19937_64 rng(42);
  std::vector<std::string> truth;
  std::string text;
  const char* alphabet = "ACGTNacgtn";
  for (int r = 0; r < 20; ++r) {
    const size_t len = r == 3 ? 0 : rng() % 700;
    std::string seq;
    for (size_t i = 0; i < len; ++i) seq += alphabet[rng() % 10];
    truth.push_back(seq);
    text += ">r" + std::to_string(r) + " d\n";
    const unsigned w = width ? width : unsigned(std::max<size_t>(len, 1));
    for (size_t i = 0; i < len; i += w) {
      text += seq.substr(i, w);
      if (trailing_space) text += "  ";
      text += eol;
      if (blank_lines && rng() % 7 == 0) text += eol;
    }
  }
  auto s = Sample::open(d.file(name, text));
  for (size_t r = 0; r < truth.size(); ++r) {
    const std::string id = "r" + std::to_string(r);
    const auto& t = truth[r];
    ASSERT_EQ(s->index().record(RecordId(r)).length, t.size()) << name << " " << id;
    for (int k = 0; k < 60; ++k) {
      const uint64_t a = t.empty() ? 0 : rng() % (t.size() + 1);
      const uint64_t b = a + rng() % (t.size() + 10 - a);
      const std::string want = a < t.size() ? t.substr(a, std::min<uint64_t>(b, t.size()) - a) : "";
      ASSERT_EQ(get(*s, id, a, b), want) << name << " " << id << ":" << a << "-" << b;
    }
  }
}

TEST(Geometry, RegularWrapped) { check_layout("w60.fa", 60, "\n", false, false); }
TEST(Geometry, Crlf) { check_layout("crlf.fa", 70, "\r\n", false, false); }
TEST(Geometry, Unwrapped) { check_layout("one.fa", 0, "\n", false, false); }
TEST(Geometry, TrailingSpaces) { check_layout("ts.fa", 61, "\n", true, false); }
TEST(Geometry, BlankLinesInside) { check_layout("bl.fa", 50, "\n", false, true); }
TEST(Geometry, WidthOne) { check_layout("w1.fa", 1, "\n", false, true); }

TEST(Index, StaleAfterSameSizeSameMtimeOtherContent) {
  ScratchDir d;
  const std::string f = d.file("s.fa", ">x\nAAAAAAAA\n");
  auto s = Sample::open(f);
  EXPECT_EQ(get(*s, "x", 0, 8), "AAAAAAAA");
  struct stat before {};
  ::stat(f.c_str(), &before);
  { std::ofstream(f, std::ios::binary) << ">x\nCCCCCCCC\n"; }
  const timespec times[2] = {before.st_atim, before.st_mtim};
  ::utimensat(AT_FDCWD, f.c_str(), times, 0);
  EXPECT_EQ(check_index(f, {}).state, IndexState::stale);
  IndexOptions no_build;
  no_build.build = false;
  try {
    (void)Sample::open(f, no_build);
    FAIL() << "stale index trusted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::bad_index);
    EXPECT_EQ(std::string(e.what()), f + " has a stale index (the file's content changed since it was "
                                         "indexed): run 'ofq index " + f + "'");
  }
  auto s2 = Sample::open(f);  // rebuilt
  EXPECT_EQ(get(*s2, "x", 0, 8), "CCCCCCCC");
}

TEST(Index, TouchedButUnchangedIsReused) {
  ScratchDir d;
  const std::string f = d.file("t.fa", ">x\nACGT\n");
  (void)Sample::open(f);
  const timespec times[2] = {{1000, 0}, {1000, 0}};
  ::utimensat(AT_FDCWD, f.c_str(), times, 0);
  EXPECT_EQ(check_index(f, {}).state, IndexState::fresh);
}

TEST(Index, DamagedIndexIsRefusedThenRebuilt) {
  ScratchDir d;
  const std::string f = d.file("g.fa", ">x\nACGT\n");
  const std::string idx = build_index(f, {});
  { std::ofstream(idx, std::ios::binary) << "garbage"; }
  EXPECT_EQ(check_index(f, {}).state, IndexState::damaged);
  auto s = Sample::open(f);
  EXPECT_EQ(get(*s, "x", 1, 3), "CG");
}

TEST(Index, IndexDirWhenGiven) {
  ScratchDir d, idx;
  const std::string f = d.file("i.fa", ">x\nACGT\n");
  IndexOptions opt;
  opt.index_dir = idx.path();
  const std::string written = build_index(f, opt);
  EXPECT_EQ(written.rfind(idx.path() + "/i.fa.", 0), 0u);
  EXPECT_TRUE(std::filesystem::exists(written));
  EXPECT_FALSE(std::filesystem::exists(f + ".ofqi"));
  auto s = Sample::open(f, opt);
  EXPECT_EQ(get(*s, "x", 0, 4), "ACGT");
}

TEST(Index, FaiLikeSamtools) {
  ScratchDir d;
  const std::string f = d.file("f.fa", ">a desc\nACGTACGTAC\nACG\n>empty\n>b:1\nAAAACCCC\n");
  (void)build_index(f, {});
  std::ifstream in(f + ".fai");
  std::string fai((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(fai, "a\t13\t8\t10\t11\nb:1\t8\t35\t8\t9\n");  // samtools leaves out empty records
}

TEST(Index, NoFaiWhenSamtoolsCannotDescribeIt) {
  ScratchDir d;
  const std::string f = d.file("n.fa", ">a\nACG\nACGT\n");
  (void)build_index(f, {});
  EXPECT_FALSE(std::filesystem::exists(f + ".fai"));
}

}  // namespace
}  // namespace ofq
