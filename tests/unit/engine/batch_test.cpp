// Batches: every bad row reported with its row, line and reason; rows in input order,
// duplicates kept; spooling to a file changes nothing in the answer.
#include <gtest/gtest.h>

#include "engine_test_util.hpp"
#include "ofq/batch.hpp"
#include "ofq/error.hpp"

namespace ofq {
namespace {

using test::ScratchDir;

TEST(Batch, AllBadRowsReported) {
  ScratchDir d;
  auto s = Sample::open(d.file("b.fa", ">x\nACGTACGT\n>p\nMKLV\n"));
  BatchOptions o;
  o.strict = true;
  Batch b(s, o);
  EXPECT_TRUE(b.add({"x", 0, 4, SeqType::raw, ""}, 1));
  EXPECT_FALSE(b.add({"nope", 0, 4, SeqType::raw, ""}, 2));
  EXPECT_FALSE(b.add({"x", 5, 4, SeqType::raw, ""}, 3));
  EXPECT_FALSE(b.add({"x", 0, 9, SeqType::raw, ""}, 4));
  EXPECT_FALSE(b.add({"p", 0, 2, SeqType::complement, ""}, 5));
  b.add_error(6, "y", "start 'z' is not a whole number");
  ASSERT_EQ(b.error_count(), 5u);
  const auto& e = b.errors();
  EXPECT_EQ(e[0].row, 1u);
  EXPECT_EQ(e[0].line, 2u);
  EXPECT_EQ(e[0].id, "nope");
  EXPECT_EQ(e[0].reason, "unknown sequence");
  EXPECT_EQ(e[1].reason, "start 5 is greater than end 4");
  EXPECT_EQ(e[2].reason, "end 9 is past the end of the sequence (length 8)");
  EXPECT_EQ(e[3].reason, "complement of a protein sequence ('L' at position 2 is not a nucleotide)");
  EXPECT_EQ(e[4].row, 5u);
  try {
    b.throw_if_invalid();
    FAIL();
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), Errc::bad_positions);
    EXPECT_STREQ(err.what(), "5 of 6 positions are invalid");
    EXPECT_EQ(err.rows().size(), 5u);
  }
}

std::string run(std::shared_ptr<const Sample> s, const std::vector<Position>& ps, BatchOptions o) {
  Batch b(std::move(s), o);
  for (const auto& p : ps) EXPECT_TRUE(b.add(p));
  StringSink sink;
  auto w = make_writer(OutputFormat::csv, sink);
  const Summary sum = b.write(*w);
  EXPECT_EQ(sum.rows, ps.size());
  return sink.data;
}

TEST(Batch, InputOrderDuplicatesClampingAndSpool) {
  ScratchDir d;
  std::string text = ">a\n";
  for (int i = 0; i < 100; ++i) text += "ACGTACGTAC\n";
  text += ">b\nGGGGCCCC\n";
  auto s = Sample::open(d.file("o.fa", text));
  std::vector<Position> ps;
  std::string expect = "id,start,end,type,sequence\n";
  for (int i = 0; i < 500; ++i) {
    const uint64_t st = uint64_t(i * 7 % 990);
    ps.push_back({"a", st, st + 5, SeqType::raw, ""});
    ps.push_back({"b", 6, 20, SeqType::reverse_complement, ""});
    const std::string ten = "ACGTACGTAC";
    std::string bases;
    for (uint64_t k = st; k < st + 5; ++k) bases += ten[k % 10];
    expect += "a," + std::to_string(st) + "," + std::to_string(st + 5) + ",raw," + bases + "\n";
    expect += "b,6,20,reverse_complement,GG\n";
  }
  BatchOptions o;
  EXPECT_EQ(run(s, ps, o), expect);
  o.spool_after = 7;  // most rows go through the spool file
  o.threads = 2;
  EXPECT_EQ(run(s, ps, o), expect);
  o.threads = 1;
  EXPECT_EQ(run(s, ps, o), expect);
}

TEST(Batch, LongRowsStream) {
  ScratchDir d;
  std::string seq;
  for (int i = 0; i < (5 << 20); ++i) seq += "ACGT"[(i * 7 + i / 3) % 4];
  std::string text = ">big\n";
  for (size_t i = 0; i < seq.size(); i += 80) text += seq.substr(i, 80) + "\n";
  auto s = Sample::open(d.file("l.fa", text));
  Batch b(s);
  ASSERT_TRUE(b.add({"big", 0, seq.size(), SeqType::raw, ""}));
  ASSERT_TRUE(b.add({"big", 1, seq.size(), SeqType::reverse_complement, ""}));
  StringSink sink;
  WriterOptions wo;
  wo.fasta_width = 0;
  auto w = make_writer(OutputFormat::fasta, sink, wo);
  (void)b.write(*w);
  std::string rc(seq.rbegin(), seq.rend() - 1);
  for (char& c : rc) c = c == 'A' ? 'T' : c == 'T' ? 'A' : c == 'C' ? 'G' : 'C';
  EXPECT_EQ(sink.data, ">big:0-" + std::to_string(seq.size()) + " raw\n" + seq + "\n>big:1-" +
                           std::to_string(seq.size()) + " reverse_complement\n" + rc + "\n");
}

}  // namespace
}  // namespace ofq
