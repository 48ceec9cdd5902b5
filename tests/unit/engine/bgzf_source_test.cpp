// BGZF: read byte for byte across every block boundary, the .gzi and .fai byte-identical to
// bgzip -r and samtools faidx, damaged files refused at indexing with the byte offset, and
// damage after indexing found at extraction.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <thread>

#include "bgzf_format_internal.hpp"
#include "compressed_test_util.hpp"
#include "ofq/error.hpp"
#include "ofq/index_format.hpp"
#include "ofq/sample.hpp"

using namespace ofq;
using namespace ofq::test;
namespace bgzf = ofq::detail::bgzf;

namespace {

std::vector<bgzf::GziEntry> blocks_of(const Sample& s) {
  const auto raw = s.index().section(format::bgzf_blocks);
  const auto* b = reinterpret_cast<const unsigned char*>(raw.data());
  std::vector<bgzf::GziEntry> v;
  if (raw.size() < 40) {
    ADD_FAILURE() << "no block section";
    return v;
  }
  const uint64_t n = bgzf::le64(b + 16);
  for (uint64_t i = 0; i < n; ++i) v.push_back({bgzf::le64(b + 40 + 16 * i), bgzf::le64(b + 48 + 16 * i)});
  return v;
}

std::string error_of(const std::function<void()>& f, Errc expect_code) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), expect_code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return {};
}

class BgzfFixtures : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(BgzfFixtures, ReadByteForByteAcrossEveryBlock) {
  const auto [gz, plain] = GetParam();
  TempDir t;
  const std::string path = t.copy(gz);
  const std::string text = slurp(compressed_fixtures() + "/" + plain);
  auto s = Sample::open(path);
  ASSERT_EQ(s->index().compression(), Compression::bgzf);
  EXPECT_EQ(s->source().access_granularity(), 65536u);
  const auto blocks = blocks_of(*s);
  ASSERT_GT(blocks.size(), 3u);
  std::vector<uint64_t> starts;
  for (const auto& b : blocks) starts.push_back(b.uncompressed);
  expect_reads_match(s->source(), text, starts);
}

INSTANTIATE_TEST_SUITE_P(AllKinds, BgzfFixtures,
                         ::testing::Values(std::pair{"base.bgz.fa.gz", "base.fa"},
                                           std::pair{"concat.bgz.fa.gz", "base.fa"},
                                           std::pair{"irregular.bgz.fa.gz", "irregular.fa"}));

TEST(BgzfIndex, GziIsByteIdenticalToBgzipR) {
  for (const char* name : {"base.bgz.fa.gz", "concat.bgz.fa.gz"}) {
    TempDir t;
    const std::string path = t.copy(name);
    (void)build_index(path, {});
    const std::string ours = slurp(path + ".gzi");
    EXPECT_EQ(ours, slurp(compressed_fixtures() + "/" + name + ".gzi.expected")) << name;
    std::vector<bgzf::GziEntry> parsed;
    EXPECT_TRUE(bgzf::parse_gzi(ours, parsed));
    // concat holds an empty block where the two files meet: not an entry, as in htslib.
    auto s = Sample::open(path);
    EXPECT_EQ(parsed.size(), blocks_of(*s).size()) << name;
  }
}

TEST(BgzfIndex, FaiIsByteIdenticalToSamtools) {
  TempDir t;
  const std::string path = t.copy("base.bgz.fa.gz");
  (void)build_index(path, {});
  EXPECT_EQ(slurp(path + ".fai"), slurp(compressed_fixtures() + "/base.bgz.fa.gz.fai.expected"));
}

TEST(BgzfIndex, SamtoolsReadsTheFileWithOurIndexes) {
  TempDir t;
  const std::string path = t.copy("base.bgz.fa.gz");
  (void)build_index(path, {});
  const auto before = std::filesystem::last_write_time(path + ".gzi");
  const std::string out = t / "rec5.txt";
  ASSERT_EQ(std::system(("samtools faidx '" + path + "' rec5:399990-400000 > '" + out + "'").c_str()), 0);
  const std::string text = slurp(compressed_fixtures() + "/base.fa");
  const size_t at = text.find(">rec5 ");
  const size_t seq = text.find('\n', at) + 1;
  EXPECT_EQ(slurp(out), ">rec5:399990-400000\n" + text.substr(seq + 399989, 11) + "\n");
  EXPECT_EQ(std::filesystem::last_write_time(path + ".gzi"), before);  // used, not rebuilt
}

TEST(BgzfIndex, EmptyTextHasNoGzi) {
  TempDir t;
  const std::string path = t / "empty.fa.gz";
  ASSERT_EQ(std::system(("printf '' | bgzip -c > '" + path + "'").c_str()), 0);
  ASSERT_EQ(detect_compression(path), Compression::bgzf);
  auto s = Sample::open(path);
  EXPECT_EQ(s->source().size(), 0u);
  EXPECT_EQ(s->index().record_count(), 0u);
  EXPECT_FALSE(std::filesystem::exists(path + ".gzi"));
}

/// The block of the intact file holding compressed byte `at`: {number (0-based), start, size}.
std::tuple<uint64_t, uint64_t, uint32_t> block_holding(uint64_t at) {
  const std::string d = slurp(compressed_fixtures() + "/base.bgz.fa.gz");
  const auto* b = reinterpret_cast<const unsigned char*>(d.data());
  uint64_t start = 0;
  for (uint64_t k = 0;; ++k) {
    const uint32_t size = bgzf::block_size(b + start, d.size() - start);
    if (size == 0) break;
    if (at < start + size) return {k, start, size};
    start += size;
  }
  ADD_FAILURE() << "no block holds byte " << at;
  return {};
}

TEST(BgzfIndex, RefusesATruncatedFile) {
  TempDir t;
  const std::string path = t.copy("truncated.bgz.fa.gz");  // cut in half, the end block put back
  const uint64_t size = std::filesystem::file_size(path);
  const auto [k, start, bsize] = block_holding(size - 28);
  EXPECT_EQ(error_of([&] { (void)build_index(path, {}); }, Errc::corrupt_input),
            path + ": BGZF stream is truncated at byte " + std::to_string(size) + " (block " + std::to_string(k + 1) +
                " at byte " + std::to_string(start) + " needs " + std::to_string(bsize) + " bytes)");
}

TEST(BgzfIndex, RefusesACorruptBlock) {
  TempDir t;
  const std::string path = t.copy("corrupt.bgz.fa.gz");  // one byte flipped half way
  const auto [k, start, bsize] = block_holding(std::filesystem::file_size(path) / 2);
  EXPECT_EQ(error_of([&] { (void)build_index(path, {}); }, Errc::corrupt_input),
            path + ": BGZF block " + std::to_string(k + 1) + " at byte " + std::to_string(start) +
                ": deflate data inflates past the size in the block trailer; the file is corrupt");
}

TEST(BgzfIndex, RefusesPlainGzipMembersInside) {
  TempDir t;
  const std::string path = t / "mixed.fa.gz";
  const std::string bgz = slurp(compressed_fixtures() + "/base.bgz.fa.gz");
  const std::string gz = slurp(compressed_fixtures() + "/small.fa.gz");
  // One BGZF block, a plain gzip member, then the rest with the end block.
  const uint32_t first = bgzf::block_size(reinterpret_cast<const unsigned char*>(bgz.data()), bgz.size());
  spit(path, bgz.substr(0, first) + gz + bgz.substr(first));
  ASSERT_EQ(detect_compression(path), Compression::bgzf);
  EXPECT_EQ(error_of([&] { (void)build_index(path, {}); }, Errc::corrupt_input),
            path + ": BGZF block 2 at byte " + std::to_string(first) +
                ": a gzip member without the BGZF 'BC' field; the file mixes BGZF and plain gzip: "
                "recompress it with bgzip");
}

TEST(BgzfSource, DamageAfterIndexingIsFoundAtExtraction) {
  TempDir t;
  const std::string path = t.copy("base.bgz.fa.gz");
  const std::string text = slurp(compressed_fixtures() + "/base.fa");
  auto s = Sample::open(path);
  const auto blocks = blocks_of(*s);
  // Damage the middle of block 20's deflate data, then read the block.
  const auto mtime = std::filesystem::last_write_time(path);
  std::string bytes = slurp(path);
  const uint64_t at = (blocks[20].compressed + blocks[21].compressed) / 2;
  bytes[at] = static_cast<char>(bytes[at] ^ 0x08);
  spit(path, bytes);
  std::filesystem::last_write_time(path, mtime);
  const std::string msg = error_of([&] { (void)read(s->source(), blocks[20].uncompressed + 5, 10); }, Errc::corrupt_input);
  const std::string where = path + ": BGZF block at byte " + std::to_string(blocks[20].compressed) + " (text offset " +
                            std::to_string(blocks[20].uncompressed) + "): ";
  EXPECT_EQ(msg.rfind(where, 0), 0u) << msg;
  const std::string hint = "; the file changed or was damaged after it was indexed; check it, then run `ofq index " +
                           path + "`";
  EXPECT_EQ(msg.substr(msg.size() - hint.size()), hint) << msg;
  // Other blocks still read.
  EXPECT_EQ(read(s->source(), blocks[3].uncompressed, 100), text.substr(blocks[3].uncompressed, 100));
}

TEST(BgzfSource, ReadsFromTwoThreadsAtOnce) {
  TempDir t;
  const std::string path = t.copy("base.bgz.fa.gz");
  const std::string text = slurp(compressed_fixtures() + "/base.fa");
  auto s = Sample::open(path);
  std::atomic<int> bad{0};
  auto work = [&](uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (int i = 0; i < 2000; ++i) {
      const uint64_t a = rng() % text.size();
      const uint64_t n = std::min<uint64_t>(text.size() - a, rng() % 70000);
      if (read(s->source(), a, n) != text.substr(a, n)) ++bad;
    }
  };
  std::thread a(work, 3), b(work, 4);
  a.join();
  b.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(BgzfFormat, BlockSizeFindsTheBcSubfield) {
  const auto& eof = bgzf::k_eof_block;
  EXPECT_EQ(bgzf::block_size(eof.data(), eof.size()), 28u);
  std::array<unsigned char, 28> no_bc = eof;
  no_bc[12] = 'X';
  EXPECT_EQ(bgzf::block_size(no_bc.data(), no_bc.size()), 0u);
  EXPECT_EQ(bgzf::block_size(eof.data(), 11), 0u);
}

TEST(BgzfFormat, GziRoundTrip) {
  const std::vector<bgzf::GziEntry> starts = {{0, 0}, {100, 65280}, {200, 130560}};
  const std::string bytes = bgzf::make_gzi(starts);
  ASSERT_EQ(bytes.size(), 8u + 32u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x02\0\0\0\0\0\0\0", 8));
  std::vector<bgzf::GziEntry> back;
  ASSERT_TRUE(bgzf::parse_gzi(bytes, back));
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[2].compressed, 200u);
  EXPECT_EQ(back[2].uncompressed, 130560u);
  EXPECT_FALSE(bgzf::parse_gzi(bytes.substr(0, 20), back));
  EXPECT_EQ(bgzf::make_gzi({}), "");
}

}  // namespace
