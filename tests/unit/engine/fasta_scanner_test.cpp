// SEMANTICS.md "The FASTA files": what is accepted (exact bases back) and what is refused
// (exact message, naming file, line and record).
#include <gtest/gtest.h>

#include "engine_test_util.hpp"
#include "ofq/error.hpp"

namespace ofq {
namespace {

using test::get;
using test::ScratchDir;

std::string refusal(const std::string& content) {
  ScratchDir d;
  const std::string f = d.file("x.fa", content);
  try {
    (void)build_index(f, {});
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::file_refused);
    std::string msg = e.what();
    return msg.substr(f.size());  // drop the temporary path
  }
  return "accepted";
}

TEST(Refused, HeaderWithoutName) {
  EXPECT_EQ(refusal(">a\nACGT\n>\nACGT\n"),
            ": line 3: a header with no name ('>' must be followed by the record's name)");
  EXPECT_EQ(refusal("> desc\nAC\n"), ": line 1: a header with no name ('>' must be followed by the record's name)");
}

TEST(Refused, DuplicateNames) {
  EXPECT_EQ(refusal(">a one\nAC\n>b\nAC\n>a two\nGG\n"),
            ": line 5, record 'a': the name is already used by the record at line 1 (names are cut at "
            "the first space or tab)");
}

TEST(Refused, ControlByteInHeader) {
  EXPECT_EQ(refusal(">a\x01z\nAC\n"),
            ": line 1, record 'a': the header holds a control byte 0x01 at column 3; only tab is allowed");
}

TEST(Refused, BadByteInSequence) {
  EXPECT_EQ(refusal(">a\nACGT\nAC1T\n"),
            ": line 3, record 'a': '1' in a sequence line (column 3); expected a letter, '-', '.' or '*'");
}

TEST(Refused, GluedHeader) {
  EXPECT_EQ(refusal(">a\nACGT>b\nAC\n"),
            ": line 2, record 'a': '>' inside a sequence line (column 5); a header must start its own line");
}

TEST(Refused, WhitespaceInsideLine) {
  EXPECT_EQ(refusal(">a\nAC GT\n"),
            ": line 2, record 'a': whitespace inside a sequence line (column 3); only trailing whitespace "
            "is allowed");
  EXPECT_EQ(refusal(">a\nAC\r\rGT\n"),
            ": line 2, record 'a': whitespace inside a sequence line (column 3); only trailing whitespace "
            "is allowed");
}

TEST(Refused, SequenceBeforeFirstHeader) {
  EXPECT_EQ(refusal("\nACGT\n>a\nAC\n"), ": line 2: sequence before the first '>' header");
}

TEST(Accepted, EmptyFileHasNoRecords) {
  ScratchDir d;
  auto s = Sample::open(d.file("e.fa", ""));
  EXPECT_EQ(s->index().record_count(), 0u);
}

TEST(Accepted, MessyLinesGiveExactBases) {
  ScratchDir d;
  // CRLF switching inside a record, blank lines inside and between records, uneven lines,
  // trailing spaces and tabs, an empty record, and no newline at the end.
  const std::string text =
      "\n>r1 first record\r\nACGTA\r\nCGTAC\nGT \n\nAAcc\t\n>empty\n\n>r3\nNNNN\r\nNN\r\n\r\n>r4\nacgu";
  auto s = Sample::open(d.file("m.fa", text));
  ASSERT_EQ(s->index().record_count(), 4u);
  const RecordInfo r1 = s->index().record(0);
  EXPECT_EQ(r1.name, "r1");
  EXPECT_EQ(r1.description, "first record");
  EXPECT_EQ(r1.length, 16u);
  EXPECT_FALSE(r1.fai_expressible);
  EXPECT_EQ(get(*s, "r1", 0, 16), "ACGTACGTACGTAAcc");
  for (uint64_t a = 0; a <= 16; ++a)
    for (uint64_t b = a; b <= 16; ++b)
      EXPECT_EQ(get(*s, "r1", a, b), std::string("ACGTACGTACGTAAcc").substr(a, b - a)) << a << "-" << b;
  EXPECT_EQ(s->index().record(1).length, 0u);
  EXPECT_EQ(get(*s, "empty", 0, 10), "");
  EXPECT_EQ(get(*s, "r3", 0, 99), "NNNNNN");
  EXPECT_TRUE(s->index().record(2).fai_expressible);
  EXPECT_EQ(s->index().record(3).alphabet, Alphabet::rna);
  EXPECT_EQ(get(*s, "r4", 0, 4, SeqType::reverse_complement), "acgu");
}

TEST(Accepted, AlphabetAndForeignLetter) {
  ScratchDir d;
  auto s = Sample::open(d.file("a.fa", ">dna\nACGTRYKM\n>rna\nACGU\n>prot\nMKVLE\nACQ\n>gaps\nAC-G.T*\n"));
  EXPECT_EQ(s->index().record(0).alphabet, Alphabet::dna);
  EXPECT_EQ(s->index().record(1).alphabet, Alphabet::rna);
  const RecordInfo p = s->index().record(2);
  EXPECT_EQ(p.alphabet, Alphabet::protein);
  EXPECT_EQ(p.foreign_letter, 'L');
  EXPECT_EQ(p.foreign_position, 3u);
  EXPECT_TRUE(s->index().record(3).has_gap_symbols);
  EXPECT_EQ(get(*s, "gaps", 0, 7), "AC-G.T*");
}

}  // namespace
}  // namespace ofq
