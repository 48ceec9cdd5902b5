// The GFF reader and both intergenic rules (src/server/annotation.cpp).
#include "ofq/server/annotation.hpp"

#include <gtest/gtest.h>

#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "ofq/error.hpp"

namespace ofq::server {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Gff, ProdigalCdsWithPartialFlags) {
  auto a = parse_gff(
      "##gff-version  3\n# Sequence Data: seqnum=1\n"
      "NODE_1\tProdigal_v2.6.3\tCDS\t3\t101\t12.1\t+\t0\tID=1_1;partial=10;start_type=Edge\n"
      "NODE_1\tProdigal_v2.6.3\tCDS\t200\t400\t9.0\t-\t0\tID=1_2;partial=10;start_type=ATG\r\n",
      "t.gff");
  ASSERT_EQ(a.genes.size(), 2u);
  EXPECT_EQ(a.feature_type, "CDS");
  const Gene& g = a.genes[0];
  EXPECT_EQ(g.sequence, "NODE_1");
  EXPECT_EQ(g.id, "1_1");
  EXPECT_EQ(g.start, 3u);
  EXPECT_EQ(g.end, 101u);
  EXPECT_EQ(g.strand, '+');
  // '+' gene running off the left end: no start codon.
  EXPECT_EQ(g.start_codon, "no");
  EXPECT_EQ(g.stop_codon, "yes");
  EXPECT_EQ(g.gene_type, "partial");
  // '-' gene running off the left end: its stop codon is the missing one.
  EXPECT_EQ(a.genes[1].start_codon, "yes");
  EXPECT_EQ(a.genes[1].stop_codon, "no");
  EXPECT_EQ(a.genes[1].line, 4u);
}

TEST(Gff, GeneFeaturesWinOverCdsAndIdFallbacks) {
  auto a = parse_gff(
      "chr\tRefSeq\tregion\t1\t1000\t.\t+\t.\tID=id0\n"
      "chr\tRefSeq\tgene\t10\t20\t.\t+\t.\tID=gene0;Name=dnaA\n"
      "chr\tRefSeq\tCDS\t10\t20\t.\t+\t0\tID=cds0;Parent=gene0\n"
      "chr\tRefSeq\tgene\t30\t40\t.\t-\t.\tName=b%3Bc\n"
      "chr\tRefSeq\tgene\t50\t60\t.\t-\t.\tlocus_tag=L1\n"
      "chr\tRefSeq\tgene\t70\t80\t.\t.\t.\tnote=x\n",
      "ncbi.gff3");
  EXPECT_EQ(a.feature_type, "gene");
  ASSERT_EQ(a.genes.size(), 4u);
  EXPECT_EQ(a.genes[0].id, "gene0");
  EXPECT_EQ(a.genes[1].id, "b;c");
  EXPECT_EQ(a.genes[2].id, "L1");
  EXPECT_EQ(a.genes[3].id, "chr:70-80");
}

TEST(Gff, StopsAtFastaSection) {
  auto a = parse_gff("c\tp\tCDS\t1\t9\t.\t+\t0\tID=a\n##FASTA\n>c\nACGT\n", "prokka.gff");
  EXPECT_EQ(a.genes.size(), 1u);
}

TEST(Gff, RefusesMalformedLinesNamingFileAndLine) {
  try {
    (void)parse_gff("##gff-version 3\nc\tp\tCDS\t1\n", "bad.gff");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::file_refused);
    EXPECT_STREQ(e.what(),
                 "annotation bad.gff line 2: expected 9 tab-separated columns, found 4 (is this a GFF file?)");
  }
  try {
    (void)parse_gff("c\tp\tCDS\t9\t1\t.\t+\t0\tID=a\n", "bad.gff");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "annotation bad.gff line 1: start and end must be whole numbers with 1 <= start <= end, "
                 "found '9' and '1'");
  }
}

TEST(Gff, ProkkaFileLoads) {
  // In the repo's data/real (real Prokka output, GPL-3: data/real/README.md).
  const std::string path = std::string(OFQ_SOURCE_DIR) + "/data/real/prokka_226_contigs.gff3";
  if (!std::ifstream(path)) GTEST_SKIP() << "no " << path;
  auto a = load_gff(path, "prokka.gff3");
  EXPECT_EQ(a.feature_type, "CDS");
  EXPECT_EQ(a.genes.size(), 4611u);
  EXPECT_EQ(a.genes[0].id, "BAC_00001");
}

TEST(Gff, GzipAndNcbiFile) {
  const std::string path = std::string(OFQ_SOURCE_DIR) + "/data/real/NC_011025_Mycoplasma_arthritidis.gff3";
  if (!std::ifstream(path)) GTEST_SKIP() << "no " << path;
  auto a = load_gff(path, "ncbi.gff3");
  EXPECT_EQ(a.feature_type, "gene");
  EXPECT_EQ(a.genes.size(), 671u);
  EXPECT_EQ(a.genes[0].id, "gene0");
  EXPECT_EQ(a.genes[0].start, 107u);
}

TEST(Gff, ReadsGzip) {
  const std::string path = ::testing::TempDir() + "ofq_annotation_test.gff.gz";
  {
    gzFile f = gzopen(path.c_str(), "wb");
    const char text[] = "c\tp\tCDS\t4\t9\t.\t-\t0\tID=z\n";
    gzwrite(f, text, sizeof text - 1);
    gzclose(f);
  }
  auto a = load_gff(path, "x.gff.gz");
  ASSERT_EQ(a.genes.size(), 1u);
  EXPECT_EQ(a.genes[0].id, "z");
  EXPECT_EQ(a.genes[0].strand, '-');
  std::remove(path.c_str());
}

TEST(OriginalRule, GivesThePublishedGenesAndGaps) {
  const std::string dir = std::string(OFQ_SOURCE_DIR) + "/data/published/";
  auto a = load_gff(dir + "assemblies/TARA_R110002003.genes.gff3", "g.gff3");
  std::string out =
      "original_sequence_id\tid\tstrand\tstart\tstop\tlength\tstart_codon\tstop_codon\tgene_type\n";
  for (const auto& r : original_genes_and_gaps(a)) {
    if (r.gene) {
      const Gene& g = *r.gene;
      out += g.sequence + "\t" + g.id + "\t" + g.strand + "\t" + std::to_string(g.start) + "\t" +
             std::to_string(g.end) + "\t" + std::to_string(g.end - g.start + 1) + "\t" + g.start_codon +
             "\t" + g.stop_codon + "\t" + g.gene_type + "\n";
    } else {
      out += r.gap.sequence + "\tgap__" + r.gap.gen_before + "__" + r.gap.gen_after + "\t\t" +
             std::to_string(r.gap.start) + "\t" + std::to_string(r.gap.stop) + "\t" +
             std::to_string(r.gap.length()) + "\t\t\t\n";
    }
  }
  EXPECT_EQ(out, slurp(dir + "original_genes_and_gaps_tara_r110002003.tsv"));
  EXPECT_EQ(original_gaps(a).size(), 24u);
}

TEST(OriginalRule, DropsOverlapsAndCrossesSequences) {
  auto a = parse_gff(
      "a\tp\tCDS\t5\t10\t.\t+\t0\tID=g1\n"
      "a\tp\tCDS\t8\t20\t.\t+\t0\tID=g2\n"   // overlaps g1: no gap
      "a\tp\tCDS\t30\t40\t.\t+\t0\tID=g3\n"
      "b\tp\tCDS\t7\t9\t.\t-\t0\tID=g4\n",
      "t.gff");
  auto gaps = original_gaps(a);
  ASSERT_EQ(gaps.size(), 2u);
  EXPECT_EQ(gaps[0].sequence, "a");
  EXPECT_EQ(gaps[0].start, 20u);
  EXPECT_EQ(gaps[0].stop, 30u);
  EXPECT_EQ(gaps[0].gen_before, "g2");
  EXPECT_EQ(gaps[1].sequence, "b");
  EXPECT_EQ(gaps[1].start, 0u);
  EXPECT_EQ(gaps[1].stop, 7u);
  EXPECT_EQ(gaps[1].gen_before, "g3");
  EXPECT_EQ(gaps[1].gen_after, "g4");
}

TEST(V1Rule, EdgesOverlapsOrientationOrderAndMinLength) {
  auto a = parse_gff(
      "b\tp\tCDS\t1\t5\t.\t+\t0\tID=b1\n"      // starts at the first base: no head region
      "a\tp\tCDS\t11\t20\t.\t-\t0\tID=a1\n"
      "a\tp\tCDS\t15\t30\t.\t+\t0\tID=a2\n"    // overlaps a1
      "a\tp\tCDS\t18\t25\t.\t+\t0\tID=a3\n"    // inside a2
      "a\tp\tCDS\t32\t40\t.\t-\t0\tID=a4\n"
      "a\tp\tCDS\t41\t45\t.\t-\t0\tID=a5\n"    // touches a4: no region
      "z\tp\tCDS\t1\t5\t.\t+\t0\tID=z1\n",     // not in the FASTA
      "t.gff");
  std::map<std::string, SequenceInfo> fasta = {{"a", {0, 50}}, {"b", {1, 5}}};
  std::vector<std::string> skipped;
  auto lookup = [&](std::string_view n) -> std::optional<SequenceInfo> {
    auto it = fasta.find(std::string(n));
    if (it == fasta.end()) return std::nullopt;
    return it->second;
  };
  auto r = intergenic_regions(a, lookup, 1, &skipped);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].sequence, "a");
  EXPECT_EQ(r[0].start, 0u);
  EXPECT_EQ(r[0].stop, 10u);
  EXPECT_EQ(r[0].before, nullptr);
  EXPECT_EQ(r[0].after->id, "a1");
  EXPECT_EQ(r[0].orientation(), "edge");
  EXPECT_EQ(r[1].start, 30u);
  EXPECT_EQ(r[1].stop, 31u);
  EXPECT_EQ(r[1].before->id, "a2");
  EXPECT_EQ(r[1].after->id, "a4");
  EXPECT_EQ(r[1].orientation(), "convergent");
  EXPECT_EQ(r[2].start, 45u);
  EXPECT_EQ(r[2].stop, 50u);
  EXPECT_EQ(r[2].after, nullptr);
  EXPECT_EQ(skipped, std::vector<std::string>{"z"});
  auto longer = intergenic_regions(a, lookup, 5);
  ASSERT_EQ(longer.size(), 2u);
  EXPECT_EQ(longer[1].start, 45u);
}

TEST(V1Rule, DivergentAndTandem) {
  auto a = parse_gff(
      "a\tp\tCDS\t1\t10\t.\t-\t0\tID=x\n"
      "a\tp\tCDS\t21\t30\t.\t+\t0\tID=y\n"
      "a\tp\tCDS\t41\t50\t.\t+\t0\tID=z\n",
      "t.gff");
  auto r = intergenic_regions(a, [](std::string_view) { return std::optional<SequenceInfo>({0, 50}); });
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].orientation(), "divergent");
  EXPECT_EQ(r[0].start, 10u);
  EXPECT_EQ(r[0].stop, 20u);
  EXPECT_EQ(r[1].orientation(), "tandem");
}

}  // namespace
}  // namespace ofq::server
