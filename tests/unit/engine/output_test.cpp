// Each answer format, byte for byte (SEMANTICS.md "Output" and the decisions table).
#include <gtest/gtest.h>

#include "ofq/output.hpp"

namespace ofq {
namespace {

std::string render(OutputFormat f, WriterOptions opt = {}) {
  StringSink sink;
  auto w = make_writer(f, sink, opt);
  w->begin();
  w->row({"s1", 10, 14, SeqType::complement, "geneA"}, "ACGT");
  w->row({"id,with\"q", 0, 0, SeqType::raw, ""}, "");
  w->begin_row({"s2", 0, 130, SeqType::raw, "n2"});
  w->piece(std::string(70, 'A'));
  w->piece(std::string(60, 'c'));
  w->end_row();
  w->finish({3, 1});
  return sink.data;
}

TEST(Output, Csv) {
  EXPECT_EQ(render(OutputFormat::csv), "id,start,end,type,sequence\ns1,10,14,complement,ACGT\n"
                                       "\"id,with\"\"q\",0,0,raw,\ns2,0,130,raw," +
                                           std::string(70, 'A') + std::string(60, 'c') + "\n");
}

TEST(Output, CsvWithBedNames) {
  WriterOptions o;
  o.with_names = true;
  const std::string out = render(OutputFormat::csv, o);
  EXPECT_EQ(out.substr(0, 66), "id,start,end,type,name,sequence\ns1,10,14,complement,geneA,ACGT\n\"id");
}

TEST(Output, Tsv) {
  const std::string out = render(OutputFormat::tsv);
  const std::string head = "id\tstart\tend\ttype\tsequence\ns1\t10\t14\tcomplement\tACGT\nid,with\"q\t0";
  EXPECT_EQ(out.substr(0, head.size()), head);
}

TEST(Output, FastaWrapsAt60AndEmptyHasNoLine) {
  EXPECT_EQ(render(OutputFormat::fasta), ">s1:10-14 complement\nACGT\n>id,with\"q:0-0 raw\n>s2:0-130 raw\n" +
                                             std::string(60, 'A') + "\n" + std::string(10, 'A') +
                                             std::string(50, 'c') + "\n" + std::string(10, 'c') + "\n");
}

TEST(Output, FastaUnwrappedAndNamed) {
  WriterOptions o;
  o.fasta_width = 0;
  o.with_names = true;
  EXPECT_EQ(render(OutputFormat::fasta, o), ">geneA s1:10-14 complement\nACGT\n>id,with\"q:0-0 raw\n>n2 s2:0-130 raw\n" +
                                                std::string(70, 'A') + std::string(60, 'c') + "\n");
}

TEST(Output, Json) {
  EXPECT_EQ(render(OutputFormat::json),
            "{\"sequences\": [{\"id\": \"s1\", \"start\": 10, \"end\": 14, \"type\": \"complement\", "
            "\"sequence\": \"ACGT\"}, {\"id\": \"id,with\\\"q\", \"start\": 0, \"end\": 0, \"type\": \"raw\", "
            "\"sequence\": \"\"}, {\"id\": \"s2\", \"start\": 0, \"end\": 130, \"type\": \"raw\", \"sequence\": \"" +
                std::string(70, 'A') + std::string(60, 'c') + "\"}], \"clamped\": 1}\n");
}

TEST(Output, JsonWithoutSummaryIsABareArray) {
  WriterOptions o;
  o.json_summary = false;
  StringSink sink;
  auto w = make_writer(OutputFormat::json, sink, o);
  w->begin();
  w->row({"s1", 1, 3, SeqType::raw, ""}, "CG");
  w->finish({1, 0});
  EXPECT_EQ(sink.data, "[{\"id\": \"s1\", \"start\": 1, \"end\": 3, \"type\": \"raw\", \"sequence\": \"CG\"}]\n");
  StringSink nd;
  auto n = make_writer(OutputFormat::ndjson, nd, o);
  n->begin();
  n->row({"s1", 1, 3, SeqType::raw, ""}, "CG");
  n->finish({1, 0});
  EXPECT_EQ(nd.data, "{\"id\": \"s1\", \"start\": 1, \"end\": 3, \"type\": \"raw\", \"sequence\": \"CG\"}\n");
}

TEST(Output, NdjsonEndsWithSummaryOrError) {
  const std::string out = render(OutputFormat::ndjson);
  const std::string head =
      "{\"id\": \"s1\", \"start\": 10, \"end\": 14, \"type\": \"complement\", \"sequence\": \"ACGT\"}\n{\"id\"";
  EXPECT_EQ(out.substr(0, head.size()), head);
  const std::string tail = "\"}\n{\"summary\": {\"rows\": 3, \"clamped\": 1}}\n";
  EXPECT_EQ(out.substr(out.size() - tail.size()), tail);
  StringSink sink;
  auto w = make_writer(OutputFormat::ndjson, sink);
  w->begin();
  w->fail("corrupt_input", "x.fa changed");
  EXPECT_EQ(sink.data, "{\"error\":{\"error\":\"corrupt_input\",\"message\":\"x.fa changed\"}}\n");
  StringSink mid;
  auto m = make_writer(OutputFormat::ndjson, mid);
  m->begin();
  m->begin_row({"s", 0, 9, SeqType::raw, ""});
  m->piece("ACG");
  m->fail("corrupt_input", "cut");
  EXPECT_EQ(mid.data, "{\"id\": \"s\", \"start\": 0, \"end\": 9, \"type\": \"raw\", \"sequence\": \"ACG\n"
                      "{\"error\":{\"error\":\"corrupt_input\",\"message\":\"cut\"}}\n");
}

TEST(Output, FormatNames) {
  EXPECT_EQ(parse_output_format("ndjson"), OutputFormat::ndjson);
  EXPECT_EQ(parse_output_format("xml"), std::nullopt);
  EXPECT_EQ(content_type(OutputFormat::csv), "text/csv; charset=utf-8");
}

}  // namespace
}  // namespace ofq
