// Plain gzip through the checkpoint index: every fixture read byte for byte against the
// plain text (ISA-L and the zlib fallback), reads across every checkpoint and member
// boundary, damaged files refused at indexing with the byte offset, damage after indexing
// found at extraction, stale indexes caught by the fingerprint, and the published Tara
// scaftigs read directly.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <thread>

#include "compressed_test_util.hpp"
#include "gzip_format_internal.hpp"
#include "ofq/error.hpp"
#include "ofq/index_format.hpp"
#include "ofq/sample.hpp"

using namespace ofq;
using namespace ofq::test;
namespace gzi = ofq::detail::gzip_index;

namespace {

struct Table {
  gzi::Header header{};
  std::vector<gzi::Checkpoint> cps;
};

Table table_of(const Sample& s) {
  const auto raw = s.index().section(format::gzip_checkpoints);
  Table t;
  if (raw.size() < sizeof(gzi::Header)) {
    ADD_FAILURE() << "no checkpoint section";
    return t;
  }
  std::memcpy(&t.header, raw.data(), sizeof t.header);
  t.cps.resize(t.header.checkpoint_count);
  if (!t.cps.empty())
    std::memcpy(t.cps.data(), raw.data() + sizeof(gzi::Header), t.cps.size() * sizeof(gzi::Checkpoint));
  return t;
}

std::vector<uint64_t> checkpoint_offsets(const Table& t) {
  std::vector<uint64_t> v;
  for (const auto& c : t.cps) v.push_back(c.out);
  return v;
}

IndexOptions spaced(uint64_t spacing) {
  IndexOptions o;
  o.gzip_spacing_bytes = spacing;
  return o;
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

/// Member starts (uncompressed offsets) of multi.fa.gz, as the fixture script cuts it.
std::vector<uint64_t> multi_cuts(const std::string& text) {
  return {0, 1, 70001, text.find(">rec20") + 3, 1000000, 1000001, 2000000};
}

class GzipFixtures : public ::testing::TestWithParam<std::tuple<const char*, const char*, uint64_t>> {};

TEST_P(GzipFixtures, ReadByteForByteAcrossEveryCheckpoint) {
  const auto [gz, plain, spacing] = GetParam();
  TempDir t;
  const std::string path = t.copy(gz);
  const std::string text = slurp(compressed_fixtures() + "/" + plain);
  auto s = Sample::open(path, spaced(spacing));
  ASSERT_EQ(s->index().compression(), Compression::gzip);
  const Table tab = table_of(*s);
  EXPECT_EQ(tab.header.spacing_bytes, spacing);
  EXPECT_EQ(tab.header.uncompressed_size, text.size());
  EXPECT_EQ(s->source().access_granularity(), spacing);
  ASSERT_FALSE(tab.cps.empty());
  EXPECT_EQ(tab.cps[0].out, 0u);
  for (size_t i = 1; i < tab.cps.size(); ++i) {
    EXPECT_GE(tab.cps[i].out - tab.cps[i - 1].out, spacing) << "checkpoint " << i;
    EXPECT_LE(tab.cps[i].window_size, 32768u);
    EXPECT_GE(tab.cps[i].member, tab.cps[i - 1].member);
  }
  std::vector<uint64_t> boundaries = checkpoint_offsets(tab);
  if (std::string(gz) == "multi.fa.gz") {
    for (uint64_t c : multi_cuts(text)) boundaries.push_back(c);
  }
  expect_reads_match(s->source(), text, boundaries);
}

INSTANTIATE_TEST_SUITE_P(
    AllKinds, GzipFixtures,
    ::testing::Values(std::make_tuple("base.gz6.fa.gz", "base.fa", uint64_t{64} << 10),
                      std::make_tuple("base.gz6.fa.gz", "base.fa", uint64_t{4} << 20),
                      std::make_tuple("base.gz1.fa.gz", "base.fa", uint64_t{100000}),
                      std::make_tuple("base.gz9.fa.gz", "base.fa", uint64_t{1} << 20),
                      std::make_tuple("base.gz0.fa.gz", "base.fa", uint64_t{50000}),
                      std::make_tuple("multi.fa.gz", "base.fa", uint64_t{30000}),
                      std::make_tuple("multi.fa.gz", "base.fa", uint64_t{4} << 20),
                      std::make_tuple("noeof.bgz.fa.gz", "base.fa", uint64_t{200000}),
                      std::make_tuple("irregular.fa.gz", "irregular.fa", uint64_t{40000})));

TEST(GzipSource, ZlibFallbackReadsTheSameBytes) {
  TempDir t;
  const std::string path = t.copy("multi.fa.gz");
  const std::string text = slurp(compressed_fixtures() + "/base.fa");
  auto s = Sample::open(path, spaced(40000));
  detail::force_zlib_inflate_for_tests(true);
  EXPECT_FALSE(detail::gzip_extraction_uses_isal());
  std::vector<uint64_t> b = checkpoint_offsets(table_of(*s));
  for (uint64_t c : multi_cuts(text)) b.push_back(c);
  expect_reads_match(s->source(), text, b);
  detail::force_zlib_inflate_for_tests(false);
#ifdef OFQ_HAVE_ISAL
  EXPECT_TRUE(detail::gzip_extraction_uses_isal());
#endif
}

TEST(GzipSource, MultiMemberCheckpointsKnowTheirMember) {
  TempDir t;
  const std::string path = t.copy("multi.fa.gz");
  auto s = Sample::open(path, spaced(30000));
  const Table tab = table_of(*s);
  // 7 data members, an empty member after the second, and an empty last member.
  EXPECT_EQ(tab.header.member_count, 9u);
  EXPECT_EQ(tab.header.compressed_size, std::filesystem::file_size(path));
  EXPECT_EQ(tab.cps[0].in_bit, 80u);  // after the 10-byte header of `gzip -n`
  EXPECT_EQ(tab.cps[0].window_size, 0u);
  EXPECT_EQ(tab.cps.back().member, 7u);  // the last data member, 0-based (the empty one counts)
}

TEST(GzipSource, ReadsFromTwoThreadsAtOnce) {
  TempDir t;
  const std::string path = t.copy("base.gz6.fa.gz");
  const std::string text = slurp(compressed_fixtures() + "/base.fa");
  auto s = Sample::open(path, spaced(64 << 10));
  std::atomic<int> bad{0};
  auto work = [&](uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (int i = 0; i < 400; ++i) {
      const uint64_t a = rng() % text.size();
      const uint64_t n = std::min<uint64_t>(text.size() - a, rng() % 5000);
      if (read(s->source(), a, n) != text.substr(a, n)) ++bad;
    }
  };
  std::thread a(work, 1), b(work, 2);
  a.join();
  b.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(GzipSource, EmptyMemberAloneIsAnEmptyFile) {
  TempDir t;
  const std::string path = t / "empty.fa.gz";
  ASSERT_EQ(std::system(("printf '' | gzip -n -c > '" + path + "'").c_str()), 0);
  auto s = Sample::open(path);
  EXPECT_EQ(s->index().record_count(), 0u);
  EXPECT_EQ(s->source().size(), 0u);
  EXPECT_EQ(read(s->source(), 0, 0), "");
  EXPECT_EQ(table_of(*s).cps.size(), 0u);
}

TEST(GzipSource, ProgressCountsCompressedBytesUpToTheFileSize) {
  for (const char* name : {"multi.fa.gz", "base.bgz.fa.gz"}) {
    TempDir t;
    const std::string path = t.copy(name);
    const uint64_t size = std::filesystem::file_size(path);
    IndexOptions o;
    std::vector<std::pair<uint64_t, uint64_t>> calls;
    o.progress = [&](uint64_t done, uint64_t total) { calls.emplace_back(done, total); };
    (void)build_index(path, o);
    ASSERT_FALSE(calls.empty()) << name;
    EXPECT_EQ(calls.back(), std::make_pair(size, size)) << name;
    for (size_t i = 1; i < calls.size(); ++i) EXPECT_GT(calls[i].first, calls[i - 1].first) << name;
  }
}

TEST(GzipSource, ZeroSpacingIsBadUsage) {
  TempDir t;
  const std::string path = t.copy("small.fa.gz");
  EXPECT_EQ(error_of([&] { (void)build_index(path, spaced(0)); }, Errc::bad_usage),
            "gzip checkpoint spacing must be at least 1 byte");
}

TEST(GzipIndexing, RefusesATruncatedStream) {
  TempDir t;
  const std::string path = t.copy("truncated.fa.gz");
  const auto size = std::filesystem::file_size(path);
  EXPECT_EQ(error_of([&] { (void)build_index(path, {}); }, Errc::corrupt_input),
            path + ": gzip stream is truncated at byte " + std::to_string(size) +
                " (member 1, which starts at byte 0): the file ends inside a compressed member; it was "
                "cut short (an incomplete download or copy?)");
  const std::string path2 = t.copy("truncated_trailer.fa.gz");
  const auto size2 = std::filesystem::file_size(path2);
  EXPECT_EQ(error_of([&] { (void)build_index(path2, {}); }, Errc::corrupt_input),
            path2 + ": gzip stream is truncated at byte " + std::to_string(size2) +
                " (member 1, which starts at byte 0): the file ends inside a compressed member; it was "
                "cut short (an incomplete download or copy?)");
}

TEST(GzipIndexing, ChecksTheCrcOfEveryMember) {
  TempDir t;
  const std::string path = t.copy("badcrc.fa.gz");
  const auto size = std::filesystem::file_size(path);
  EXPECT_EQ(error_of([&] { (void)build_index(path, {}); }, Errc::corrupt_input),
            path + ": gzip member 1 (starting at byte 0) fails its CRC-32 check at byte " +
                std::to_string(size - 4) + ": the file is corrupt");
}

TEST(GzipIndexing, RefusesCorruptDeflateData) {
  TempDir t;
  const std::string path = t.copy("corrupt.fa.gz");  // one byte flipped a third of the way in
  const auto size = std::filesystem::file_size(path);
  // The flip still inflates, to other bytes: the member's CRC-32 catches it.
  EXPECT_EQ(error_of([&] { (void)build_index(path, {}); }, Errc::corrupt_input),
            path + ": gzip member 1 (starting at byte 0) fails its CRC-32 check at byte " +
                std::to_string(size - 4) + ": the file is corrupt");
}

TEST(GzipIndexing, RefusesTrailingGarbage) {
  TempDir t;
  const std::string path = t.copy("garbage.fa.gz");
  const auto member = std::filesystem::file_size(compressed_fixtures() + "/small.fa.gz");
  EXPECT_EQ(error_of([&] { (void)build_index(path, {}); }, Errc::corrupt_input),
            path + ": unexpected byte 0x74 at byte " + std::to_string(member) +
                " after gzip member 1: expected another gzip member (1f 8b) or the end of the file");
}

/// Flips byte `at` and puts the modification time back: a change only content can reveal.
void flip_keeping_mtime(const std::string& path, uint64_t at, unsigned char mask) {
  const auto mtime = std::filesystem::last_write_time(path);
  std::string bytes = slurp(path);
  bytes[at] = static_cast<char>(bytes[at] ^ mask);
  spit(path, bytes);
  std::filesystem::last_write_time(path, mtime);
}

TEST(GzipStaleness, SameSizeSameMtimeOtherContentIsStale) {
  TempDir t;
  const std::string path = t.copy("base.gz6.fa.gz");
  (void)build_index(path, {});
  flip_keeping_mtime(path, 4, 0xff);  // the header's MTIME field: still a valid gzip file
  const IndexCheck chk = check_index(path, {});
  EXPECT_EQ(chk.state, IndexState::stale);
  EXPECT_EQ(chk.detail, "the file's content changed since it was indexed");
  IndexOptions no_build;
  no_build.build = false;
  EXPECT_EQ(error_of([&] { (void)Sample::open(path, no_build); }, Errc::bad_index),
            path + " has a stale index (the file's content changed since it was indexed): run 'ofq index " +
                path + "'");
  // Rebuilt on open, and the text is the same.
  auto s = Sample::open(path);
  EXPECT_EQ(read(s->source(), 0, 100), slurp(compressed_fixtures() + "/base.fa").substr(0, 100));
}

TEST(GzipStaleness, DamageTheFingerprintMissesIsFoundAtExtraction) {
  TempDir t;
  const std::string path = t.copy("base.gz6.fa.gz");
  const std::string text = slurp(compressed_fixtures() + "/base.fa");
  (void)build_index(path, spaced(64 << 10));
  const uint64_t size = std::filesystem::file_size(path);
  // Find a byte that the sampled fingerprint does not read.
  uint64_t at = 0;
  for (uint64_t c = size / 2; c < size - 70000; c += 1009) {
    flip_keeping_mtime(path, c, 0x10);
    if (check_index(path, {}).state == IndexState::fresh) {
      at = c;
      break;
    }
    flip_keeping_mtime(path, c, 0x10);  // put it back
  }
  ASSERT_NE(at, 0u) << "every candidate byte is sampled by the fingerprint";
  auto s = Sample::open(path, spaced(64 << 10));
  std::string msg;
  bool mismatch_returned = false;
  for (uint64_t off = 0; off < text.size(); off += 1u << 16) {
    const size_t n = std::min<size_t>(1u << 16, text.size() - off);
    try {
      if (read(s->source(), off, n) != text.substr(off, n)) mismatch_returned = true;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::corrupt_input);
      msg = e.what();
    }
  }
  EXPECT_FALSE(mismatch_returned) << "wrong bases returned without an error";
  ASSERT_FALSE(msg.empty()) << "the damage at byte " << at << " went unnoticed";
  EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
  const std::string hint = "the file changed or was damaged after it was indexed; check it, then run `ofq index " +
                           path + "`";
  EXPECT_EQ(msg.substr(msg.size() - hint.size()), hint) << msg;
}

TEST(GzipSource, TruncatedAfterIndexingIsAnErrorNotGarbage) {
  TempDir t;
  const std::string path = t.copy("base.gz6.fa.gz");
  auto s = Sample::open(path, spaced(64 << 10));
  const uint64_t size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size / 2);
  const std::string msg = error_of([&] { (void)read(s->source(), 2000000, 10); }, Errc::corrupt_input);
  EXPECT_EQ(msg.find(path + ": gzip stream is truncated at byte " + std::to_string(size / 2) + " (member 1, text offset "),
            0u)
      << msg;
}

// The published Tara Oceans scaftigs (plain gzip, like the originals) read as they are.
TEST(GzipPublished, TaraScaftigsGiveThePublishedTable) {
  const std::string pub = std::string(OFQ_SOURCE_DIR) + "/data/published";
  TempDir t;
  IndexOptions opt;
  opt.index_dir = t.str();
  for (auto [sample, expected_rows] : {std::pair{"a100000171", 10}, std::pair{"r110002003", 5}}) {
    std::string upper = sample;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string gz = pub + "/assemblies/TARA_" + upper + ".scaftig.gz";
    ASSERT_EQ(detect_compression(gz), Compression::gzip);
    auto s = Sample::open(gz, opt);
    std::istringstream expected(slurp(pub + "/expected_tara_" + std::string(sample) + ".csv"));
    std::string line;
    std::getline(expected, line);
    ASSERT_EQ(line, "id,start,end,type,sequence");
    int rows = 0;
    while (std::getline(expected, line)) {
      std::vector<std::string> f;
      std::stringstream ls(line);
      for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
      if (f.size() == 4) f.emplace_back();
      ASSERT_EQ(f.size(), 5u) << line;
      const auto id = s->index().find(f[0]);
      ASSERT_TRUE(id.has_value()) << f[0];
      std::string got;
      s->fetch(*id, std::stoull(f[1]), std::stoull(f[2]), *parse_seq_type(f[3]), got);
      EXPECT_EQ(got, f[4]) << line.substr(0, 80);
      ++rows;
    }
    EXPECT_EQ(rows, expected_rows);
  }
}

}  // namespace
